/**
 * Phone accounts (RULES.md §7): an auth provider for customers whose login is their phone
 * number — phone + password, or phone + SMS code. One phone number is one account: the auth
 * identity's `entity_id` is the number in E.164 form, unique per provider.
 *
 * - `POST /auth/customer/phone/register` `{ phone, password, code }`: the code (purpose
 *   `register`) proves the phone; then `POST /store/customers` creates the customer.
 * - `POST /auth/customer/phone` `{ phone, password }` or `{ phone, code }` (purpose `login`).
 * - `update` (the store routes of password reset and change) `{ entity_id, password, code,
 *   purpose }`: a password never changes without a valid SMS code.
 *
 * Codes are sent by `POST /store/phone-auth/codes` (src/api/store/phone-auth). Failures of
 * codes and passwords count together; after `maxFailures` in `lockMinutes` the phone is locked.
 */
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import type { AuthIdentityDTO, AuthenticationInput, AuthenticationResponse, AuthIdentityProviderService, Logger } from "@medusajs/framework/types"
import { AbstractAuthModuleProvider, MedusaError } from "@medusajs/framework/utils"
import { type CodePurpose, PhoneCodeError, PhoneCodes } from "./codes"
import { type PhoneAuthOptions, type ResolvedPhoneAuthOptions, phoneAuthSecret, resolvePhoneAuthOptions } from "./options"
import { hashPassword, verifyPassword } from "./password"
import { normalizePhone } from "./phone"

/** Header the plugin's middleware sets to the client's address on the phone auth routes. */
export const CLIENT_IP_HEADER = "x-medusa-rewards-client-ip"

type Deps = {
  logger: Logger
  __pg_connection__: Knex
  configModule: Record<string, any>
}

type Body = Record<string, unknown>

const fail = (error: string): AuthenticationResponse => ({ success: false, error })

export class PhoneAuthProviderService extends AbstractAuthModuleProvider {
  static identifier = "phone"
  static DISPLAY_NAME = "Phone number and SMS code"

  protected readonly logger_: Logger
  protected readonly options_: ResolvedPhoneAuthOptions
  private readonly deps_: Deps
  private codes_?: PhoneCodes

  static validateOptions(options: Record<string, unknown>): void {
    resolvePhoneAuthOptions(options as PhoneAuthOptions)
  }

  constructor(deps: Deps, options: PhoneAuthOptions = {}) {
    super()
    this.deps_ = deps
    this.logger_ = deps.logger
    this.options_ = resolvePhoneAuthOptions(options)
  }

  /** The code store over the app's database connection (resolved lazily: the pool starts later). */
  protected codes(): PhoneCodes {
    this.codes_ ??= new PhoneCodes(
      this.deps_.__pg_connection__,
      this.options_,
      phoneAuthSecret(this.options_, this.deps_.configModule)
    )
    return this.codes_
  }

  private phoneOf(body: Body): string | null {
    return normalizePhone(body.phone, this.options_.defaultCountryCode)
  }

  private ipOf(data: AuthenticationInput): string | null {
    const h = data.headers?.[CLIENT_IP_HEADER]
    return typeof h === "string" && h !== "" ? h : null
  }

  private strip(identity: AuthIdentityDTO): AuthIdentityDTO {
    const copy = JSON.parse(JSON.stringify(identity)) as AuthIdentityDTO
    for (const p of copy.provider_identities ?? []) {
      if (p.provider === this.provider && p.provider_metadata) delete (p.provider_metadata as Body).password
    }
    return copy
  }

  private passwordOf(identity: AuthIdentityDTO): unknown {
    return identity.provider_identities?.find((p) => p.provider === this.provider)?.provider_metadata?.password
  }

  private async find(service: AuthIdentityProviderService, phone: string): Promise<AuthIdentityDTO | null> {
    try {
      return await service.retrieve({ entity_id: phone })
    } catch (e) {
      if ((e as MedusaError).type === MedusaError.Types.NOT_FOUND) return null
      throw e
    }
  }

  private checkPassword(password: unknown): string | null {
    if (typeof password !== "string") return "password: is required"
    if (password.length < this.options_.minPasswordLength) {
      return `password: must have at least ${this.options_.minPasswordLength} characters`
    }
    return null
  }

  /** An SMS code's refusal as the response of an auth route. */
  private refusal(e: unknown): AuthenticationResponse {
    if (e instanceof PhoneCodeError) return fail(e.message)
    throw e
  }

  /**
   * Sign-up: a valid `register` code for the phone, then an identity for it. A phone that
   * already has an account is refused; an identity left without a customer (an abandoned
   * sign-up) is taken over, its password replaced — the code proved the phone.
   */
  async register(data: AuthenticationInput, service: AuthIdentityProviderService): Promise<AuthenticationResponse> {
    const body = (data.body ?? {}) as Body
    const phone = this.phoneOf(body)
    if (!phone) return fail("phone: is not a valid phone number")
    const bad = this.checkPassword(body.password)
    if (bad) return fail(bad)
    const existing = await this.find(service, phone)
    if (existing && Object.keys(existing.app_metadata ?? {}).length > 0) return fail("phone: already has an account")
    try {
      await this.codes().verify(phone, "register", body.code, this.ipOf(data))
    } catch (e) {
      return this.refusal(e)
    }
    const password = await hashPassword(body.password as string)
    const identity = existing
      ? await service.update(phone, { provider_metadata: { password }, user_metadata: { phone } })
      : await service.create({ entity_id: phone, provider_metadata: { password }, user_metadata: { phone } })
    return { success: true, authIdentity: this.strip(identity) }
  }

  /** Login with the phone and either its password or a `login` code. */
  async authenticate(data: AuthenticationInput, service: AuthIdentityProviderService): Promise<AuthenticationResponse> {
    const body = (data.body ?? {}) as Body
    const phone = this.phoneOf(body)
    if (!phone) return fail("phone: is not a valid phone number")
    const ip = this.ipOf(data)
    if (body.code !== undefined) {
      try {
        await this.codes().verify(phone, "login", body.code, ip)
      } catch (e) {
        return this.refusal(e)
      }
      const identity = await this.find(service, phone)
      // a code is only ever sent to a phone with an account
      if (!identity) return fail("code: is wrong or has expired")
      return { success: true, authIdentity: this.strip(identity) }
    }
    if (typeof body.password !== "string") return fail("password: or code is required")
    const identity = await this.find(service, phone)
    const codes = this.codes()
    let outcome: AuthenticationResponse = fail("phone or password is wrong")
    try {
      await codes.withPhone(phone, async (trx) => {
        await codes.assertNotLocked(trx, phone, ip)
        // a phone without an account costs the same time and counts as a failure too
        const ok = identity ? await verifyPassword(body.password as string, this.passwordOf(identity)) : false
        if (ok && identity) {
          await codes.recordSuccess(trx, phone, ip)
          outcome = { success: true, authIdentity: this.strip(identity) }
        } else {
          await codes.recordFailure(trx, phone, ip)
        }
      })
    } catch (e) {
      return this.refusal(e)
    }
    return outcome
  }

  /**
   * A new password, only with a valid SMS code of purpose `reset` (forgotten password) or
   * `change` (signed in): `{ entity_id: phone, password, code, purpose }`.
   */
  async update(data: Record<string, unknown>, service: AuthIdentityProviderService): Promise<AuthenticationResponse> {
    const phone = normalizePhone(data.entity_id, this.options_.defaultCountryCode)
    if (!phone) return fail("phone: is not a valid phone number")
    const bad = this.checkPassword(data.password)
    if (bad) return fail(bad)
    const purpose = data.purpose === "change" ? "change" : "reset"
    const identity = await this.find(service, phone)
    if (!identity) return fail("code: is wrong or has expired")
    try {
      await this.codes().verify(phone, purpose as CodePurpose, data.code, typeof data.ip === "string" ? data.ip : null)
    } catch (e) {
      return this.refusal(e)
    }
    const updated = await service.update(phone, {
      provider_metadata: { ...(identity.provider_identities?.find((p) => p.provider === this.provider)?.provider_metadata ?? {}), password: await hashPassword(data.password as string) },
    })
    return { success: true, authIdentity: this.strip(updated) }
  }
}
