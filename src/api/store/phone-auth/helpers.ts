/**
 * Shared by the phone account routes and middlewares (RULES.md §7): the code store over the
 * app's database, the client's address, and how a refusal is answered.
 */
import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { ContainerRegistrationKeys, MedusaError, Modules } from "@medusajs/framework/utils"
import { type CodePurpose, PhoneCodeError, PhoneCodes } from "../../../providers/phone-auth/codes"
import { PHONE_AUTH_PROVIDER_ID, type ResolvedPhoneAuthOptions, phoneAuthOptionsOf, phoneAuthSecret } from "../../../providers/phone-auth/options"
import { normalizePhone } from "../../../providers/phone-auth/phone"
import { PHONE_CODE_TEMPLATE, type PhoneCodeNotificationData } from "../../../providers/sms/base"
import { sealCode } from "../../../providers/sms/seal"

type Scope = MedusaRequest["scope"]

export function phoneAuth(scope: Scope): { codes: PhoneCodes; options: ResolvedPhoneAuthOptions; secret: string } {
  const configModule = scope.resolve(ContainerRegistrationKeys.CONFIG_MODULE) as Record<string, any>
  const options = phoneAuthOptionsOf(configModule)
  const secret = phoneAuthSecret(options, configModule)
  const knex = scope.resolve(ContainerRegistrationKeys.PG_CONNECTION) as Knex
  return { codes: new PhoneCodes(knex, options, secret), options, secret }
}

/** The client's address as Express sees it (set `trust proxy` behind a proxy). */
export function clientIp(req: MedusaRequest): string | null {
  return req.ip ?? req.socket?.remoteAddress ?? null
}

/** The canonical phone number, or a 400 naming the field. */
export function phoneOrThrow(input: string, options: ResolvedPhoneAuthOptions): string {
  const phone = normalizePhone(input, options.defaultCountryCode)
  if (!phone) throw new MedusaError(MedusaError.Types.INVALID_DATA, "phone: is not a valid phone number")
  return phone
}

/**
 * Answers a refused code: a wrong or expired one is a 400; a locked phone or too many requests
 * is a 429 with `Retry-After`. Anything else is rethrown.
 */
export function respondRefusal(res: MedusaResponse, e: unknown): void {
  if (!(e instanceof PhoneCodeError)) throw e
  if (e.kind === "invalid") throw new MedusaError(MedusaError.Types.INVALID_DATA, e.message)
  if (e.retryAfterSeconds) res.setHeader("Retry-After", String(e.retryAfterSeconds))
  res.status(429).json({ type: e.kind, message: e.message, retry_after: e.retryAfterSeconds ?? null })
}

/** The auth identity of a phone and whether a customer is attached to it. */
export async function phoneAccount(scope: Scope, phone: string): Promise<{ authIdentityId: string; customerId: string | null } | null> {
  const auth = scope.resolve(Modules.AUTH)
  const [identity] = await auth.listProviderIdentities(
    { provider: PHONE_AUTH_PROVIDER_ID, entity_id: phone },
    { relations: ["auth_identity"] }
  )
  if (!identity) return null
  const customerId = (identity.auth_identity?.app_metadata as Record<string, unknown> | undefined)?.customer_id
  return { authIdentityId: identity.auth_identity_id as string, customerId: typeof customerId === "string" ? customerId : null }
}

/**
 * Issues a code and sends it by SMS through the notification module's `sms` channel. The
 * notification carries the code sealed, never in clear; a code that could not be sent is
 * withdrawn (it does not count against the limits).
 */
export async function sendCode(
  scope: Scope,
  input: { phone: string; purpose: CodePurpose; ip: string | null }
): Promise<{ expiresIn: number; resendIn: number }> {
  const { codes, options, secret } = phoneAuth(scope)
  const issued = await codes.issue(input.phone, input.purpose, input.ip)
  const data: PhoneCodeNotificationData = {
    sealed_code: sealCode(issued.code, secret),
    purpose: input.purpose,
    expires_in_minutes: Math.ceil(options.codeTtlSeconds / 60),
  }
  try {
    await scope.resolve(Modules.NOTIFICATION).createNotifications({
      to: input.phone,
      channel: "sms",
      template: PHONE_CODE_TEMPLATE,
      data: data as unknown as Record<string, unknown>,
      trigger_type: "medusa-rewards.phone-code",
    })
  } catch (e) {
    await codes.discard(issued.id)
    throw new MedusaError(
      MedusaError.Types.UNEXPECTED_STATE,
      `sms: the code could not be sent (${(e as Error).message}); is an SMS provider registered for channel "sms"? (README, "Phone accounts and SMS")`
    )
  }
  return { expiresIn: options.codeTtlSeconds, resendIn: options.resendSeconds }
}

/** A provider refusal as an HTTP answer: a lock is a 429, anything else a 400 naming the field. */
export function respondFailure(res: MedusaResponse, error: string | undefined): void {
  const message = error ?? "code: is wrong or has expired"
  if (/locked|too many/.test(message)) {
    res.status(429).json({ type: "locked", message })
    return
  }
  throw new MedusaError(MedusaError.Types.INVALID_DATA, message)
}
