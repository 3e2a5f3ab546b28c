/**
 * Middlewares of the storefront routes (issue 6): customer authentication on every member and
 * cart route, zod validation of every body and query (a rejection is a 400 naming the field),
 * and the guards of phone accounts (RULES.md §7) on Medusa's own auth and customer routes.
 */
import {
  type AuthenticatedMedusaRequest,
  type MedusaNextFunction,
  type MedusaRequest,
  type MedusaResponse,
  type MiddlewareRoute,
  authenticate,
  validateAndTransformBody,
  validateAndTransformQuery,
} from "@medusajs/framework/http"
import { ContainerRegistrationKeys, MedusaError, Modules } from "@medusajs/framework/utils"
import { PhoneCodeError } from "../../providers/phone-auth/codes"
import { PHONE_AUTH_PROVIDER_ID } from "../../providers/phone-auth/options"
import { normalizePhone } from "../../providers/phone-auth/phone"
import { CLIENT_IP_HEADER } from "../../providers/phone-auth/service"
import { clientIp, phoneAuth, respondRefusal } from "./phone-auth/helpers"
import {
  PhoneLoginBody,
  PhoneRegisterBody,
  StoreCartRewardsBody,
  StoreCartRewardsQuery,
  StoreChangePasswordBody,
  StoreGrowthPointsBody,
  StoreResetPasswordBody,
  StoreSendCodeBody,
  StoreTransfersQuery,
} from "./validators"

const customer = authenticate("customer", ["session", "bearer"])

/**
 * The phone auth provider reads the client's address from a header only this middleware sets
 * (a client's own value is overwritten): per-IP limits count real addresses.
 */
function setClientIp(req: MedusaRequest, _res: MedusaResponse, next: MedusaNextFunction) {
  req.headers[CLIENT_IP_HEADER] = clientIp(req) ?? ""
  next()
}

/**
 * Sign-up with a wrong or expired code is bad input (400 naming `code`), not an auth failure:
 * the code is checked — and a wrong one counted — before Medusa's register route; the provider
 * checks it again and consumes it.
 */
async function precheckRegisterCode(req: MedusaRequest, res: MedusaResponse, next: MedusaNextFunction) {
  try {
    const { codes, options } = phoneAuth(req.scope)
    const body = req.body as Record<string, unknown>
    const phone = normalizePhone(body.phone, options.defaultCountryCode)
    if (!phone) throw new MedusaError(MedusaError.Types.INVALID_DATA, "phone: is not a valid phone number")
    await codes.verify(phone, "register", body.code, clientIp(req), false)
  } catch (e) {
    if (e instanceof PhoneCodeError) {
      try {
        respondRefusal(res, e)
        return
      } catch (refusal) {
        return next(refusal)
      }
    }
    return next(e)
  }
  next()
}

async function phoneOfAuthIdentity(req: MedusaRequest, authIdentityId: string | undefined): Promise<string | null> {
  if (!authIdentityId) return null
  const identity = await req.scope.resolve(Modules.AUTH).retrieveAuthIdentity(authIdentityId, { relations: ["provider_identities"] })
  return identity.provider_identities?.find((p) => p.provider === PHONE_AUTH_PROVIDER_ID)?.entity_id ?? null
}

/** The body a route will read: Medusa's validated copy if its validator already ran, else the raw one. */
function bodiesOf(req: MedusaRequest): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = []
  const validated = (req as { validatedBody?: unknown }).validatedBody
  if (validated && typeof validated === "object") out.push(validated as Record<string, unknown>)
  if (req.body && typeof req.body === "object" && req.body !== validated) out.push(req.body as Record<string, unknown>)
  return out
}

/** Refuses a phone number that already belongs to another account (RULES.md §7). */
async function assertPhoneFree(req: MedusaRequest, phone: string, self: { customerId?: string; authIdentityId?: string }) {
  const { data: customers } = await req.scope.resolve(ContainerRegistrationKeys.QUERY).graph({
    entity: "customer",
    fields: ["id"],
    filters: { phone, has_account: true } as Record<string, unknown>,
  })
  const identities = await req.scope.resolve(Modules.AUTH).listProviderIdentities({ provider: PHONE_AUTH_PROVIDER_ID, entity_id: phone })
  if (
    customers.some((c: { id: string }) => c.id !== self.customerId) ||
    identities.some((i) => i.auth_identity_id !== self.authIdentityId)
  ) {
    throw new MedusaError(MedusaError.Types.INVALID_DATA, "phone: already belongs to another account")
  }
}

/**
 * RULES.md §7, one phone number = one account: a customer created from a phone sign-up gets
 * that verified phone, whatever the body says, and no account may take a phone number that
 * belongs to another account.
 *
 * Decision (§7 "the phone number is the login"): Medusa requires an e-mail address to create a
 * customer account; a phone sign-up without one gets `<digits>@phone.invalid` (the reserved
 * `.invalid` domain: it never delivers), unique as the phone is.
 */
async function bindPhoneOnSignUp(req: MedusaRequest, _res: MedusaResponse, next: MedusaNextFunction) {
  try {
    const auth = (req as AuthenticatedMedusaRequest).auth_context
    const verified = await phoneOfAuthIdentity(req, auth?.auth_identity_id)
    const bodies = bodiesOf(req)
    if (verified) {
      for (const body of bodies) {
        body.phone = verified
        if (body.email === undefined || body.email === null || body.email === "") body.email = `${verified.slice(1)}@phone.invalid`
      }
    }
    const given = bodies[0]?.phone
    if (typeof given === "string" && given.trim() !== "") {
      const { options } = phoneAuth(req.scope)
      await assertPhoneFree(req, normalizePhone(given, options.defaultCountryCode) ?? given, { authIdentityId: auth?.auth_identity_id })
    }
    next()
  } catch (e) {
    next(e)
  }
}

/**
 * A phone account's number is its login: it changes only through a new sign-up, never here;
 * another account may not take a number that belongs to an account (RULES.md §7).
 */
async function keepLoginPhone(req: MedusaRequest, _res: MedusaResponse, next: MedusaNextFunction) {
  try {
    const auth = (req as AuthenticatedMedusaRequest).auth_context
    const given = bodiesOf(req)[0]?.phone
    if (typeof given === "string" && given.trim() !== "") {
      const verified = await phoneOfAuthIdentity(req, auth?.auth_identity_id)
      const { options } = phoneAuth(req.scope)
      const phone = normalizePhone(given, options.defaultCountryCode) ?? given
      if (verified && phone !== verified) {
        throw new MedusaError(MedusaError.Types.INVALID_DATA, "phone: is the login of this account and cannot be changed here")
      }
      await assertPhoneFree(req, phone, { customerId: auth?.actor_id, authIdentityId: auth?.auth_identity_id })
    }
    next()
  } catch (e) {
    next(e)
  }
}

export const storeRewardsMiddlewares: MiddlewareRoute[] = [
  // ---- the member's rewards ----
  { method: ["GET"], matcher: "/store/customers/me/rewards", middlewares: [customer] },
  {
    method: ["GET"],
    matcher: "/store/customers/me/rewards/transfers",
    middlewares: [customer, validateAndTransformQuery(StoreTransfersQuery, {})],
  },
  { method: ["GET"], matcher: "/store/customers/me/rewards/referral", middlewares: [customer] },
  { method: ["GET"], matcher: "/store/customers/me/rewards/team", middlewares: [customer] },
  { method: ["GET"], matcher: "/store/customers/me/rewards/growth", middlewares: [customer] },
  ...["sell", "sell/quote", "convert", "convert/quote"].map(
    (path): MiddlewareRoute => ({
      method: ["POST"],
      matcher: `/store/customers/me/rewards/${path}`,
      middlewares: [customer, validateAndTransformBody(StoreGrowthPointsBody)],
    })
  ),

  // ---- paying a cart with credit and points ----
  {
    method: ["GET"],
    matcher: "/store/carts/:id/rewards",
    middlewares: [customer, validateAndTransformQuery(StoreCartRewardsQuery, {})],
  },
  {
    method: ["POST"],
    matcher: "/store/carts/:id/rewards",
    middlewares: [customer, validateAndTransformBody(StoreCartRewardsBody)],
  },
  { method: ["DELETE"], matcher: "/store/carts/:id/rewards", middlewares: [customer] },

  // ---- phone accounts (RULES.md §7) ----
  { method: ["POST"], matcher: "/store/phone-auth/codes", middlewares: [validateAndTransformBody(StoreSendCodeBody)] },
  { method: ["POST"], matcher: "/store/phone-auth/reset-password", middlewares: [validateAndTransformBody(StoreResetPasswordBody)] },
  { method: ["POST"], matcher: "/store/customers/me/phone-auth/code", middlewares: [customer] },
  {
    method: ["POST"],
    matcher: "/store/customers/me/phone-auth/password",
    middlewares: [customer, validateAndTransformBody(StoreChangePasswordBody)],
  },
  {
    method: ["POST"],
    matcher: "/auth/customer/phone/register",
    middlewares: [setClientIp, validateAndTransformBody(PhoneRegisterBody), precheckRegisterCode],
  },
  {
    method: ["POST"],
    matcher: "/auth/customer/phone",
    middlewares: [setClientIp, validateAndTransformBody(PhoneLoginBody)],
  },
  { method: ["POST"], matcher: "/store/customers", middlewares: [bindPhoneOnSignUp] },
  { method: ["POST"], matcher: "/store/customers/me", middlewares: [keepLoginPhone] },
]
