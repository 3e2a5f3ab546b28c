/**
 * Options of the phone auth provider (RULES.md §7), with their defaults. The provider gets them
 * from its entry under the auth module's `providers`; the store routes that send codes read
 * the same entry from the configuration (see {@link phoneAuthOptionsOf}).
 */

export interface PhoneAuthOptions {
  /** Country calling code for numbers given without `+` (default `86`). */
  defaultCountryCode?: string
  /** Digits of a code (default 6). */
  codeLength?: number
  /** Seconds a code stays valid (default 300: 5 minutes). */
  codeTtlSeconds?: number
  /** Seconds before another code of the same purpose may be sent to a phone (default 60). */
  resendSeconds?: number
  /** Codes a phone may receive per hour (default 10). */
  maxCodesPerPhonePerHour?: number
  /** Codes one IP address may request per hour (default 30). */
  maxCodesPerIpPerHour?: number
  /** Failed attempts (wrong code or password) after which a phone is locked (default 5). */
  maxFailures?: number
  /** Failed attempts from one IP address, any phone, after which it is locked (default 30). */
  maxFailuresPerIp?: number
  /** Minutes failures are counted over, and a lock lasts (default 15). */
  lockMinutes?: number
  /** Shortest password accepted (default 8). */
  minPasswordLength?: number
  /**
   * Key of the codes' HMAC at rest. Default: the store's `http.jwtSecret` (the SMS provider
   * unseals codes with that secret, so set both or neither).
   */
  secret?: string
}

export type ResolvedPhoneAuthOptions = Required<Omit<PhoneAuthOptions, "secret">> & { secret?: string }

export const PHONE_AUTH_DEFAULTS: ResolvedPhoneAuthOptions = {
  defaultCountryCode: "86",
  codeLength: 6,
  codeTtlSeconds: 300,
  resendSeconds: 60,
  maxCodesPerPhonePerHour: 10,
  maxCodesPerIpPerHour: 30,
  maxFailures: 5,
  maxFailuresPerIp: 30,
  lockMinutes: 15,
  minPasswordLength: 8,
}

/** The provider id under which the store registers the provider (`/auth/customer/phone`). */
export const PHONE_AUTH_PROVIDER_ID = "phone"

const INTEGER_OPTIONS = [
  "codeLength",
  "codeTtlSeconds",
  "resendSeconds",
  "maxCodesPerPhonePerHour",
  "maxCodesPerIpPerHour",
  "maxFailures",
  "maxFailuresPerIp",
  "lockMinutes",
  "minPasswordLength",
] as const

/** Options with defaults filled in; a wrong option throws naming it. */
export function resolvePhoneAuthOptions(options: PhoneAuthOptions | undefined | null): ResolvedPhoneAuthOptions {
  const o = { ...PHONE_AUTH_DEFAULTS, ...(options ?? {}) } as ResolvedPhoneAuthOptions
  for (const key of INTEGER_OPTIONS) {
    const v = o[key]
    if (!Number.isInteger(v) || v < 1) throw new Error(`phone auth option ${key}: must be an integer ≥ 1`)
  }
  if (o.codeLength < 4 || o.codeLength > 10) throw new Error("phone auth option codeLength: must lie in 4–10")
  if (!/^\d{1,4}$/.test(String(o.defaultCountryCode))) throw new Error("phone auth option defaultCountryCode: must be 1–4 digits")
  if (o.secret !== undefined && (typeof o.secret !== "string" || o.secret.length < 16)) {
    throw new Error("phone auth option secret: must be a string of at least 16 characters")
  }
  return o
}

type Row = Record<string, any>

/**
 * The provider's options as the store configured them: the entry of the auth module's
 * `providers` whose id is `phone` (or whose `resolve` names this provider).
 */
export function phoneAuthOptionsOf(configModule: Row): ResolvedPhoneAuthOptions {
  const modules = (configModule?.modules ?? {}) as Row
  const auth = (modules.auth ?? modules["@medusajs/medusa/auth"] ?? {}) as Row
  const providers = ((auth.options ?? {}).providers ?? []) as Row[]
  const entry = providers.find(
    (p) => p?.id === PHONE_AUTH_PROVIDER_ID || (typeof p?.resolve === "string" && /providers\/phone-auth$/.test(p.resolve))
  )
  return resolvePhoneAuthOptions(entry?.options)
}

/** The HMAC key of codes: the option, else the store's JWT secret. */
export function phoneAuthSecret(options: ResolvedPhoneAuthOptions, configModule: Row): string {
  const secret = options.secret ?? configModule?.projectConfig?.http?.jwtSecret
  if (!secret || typeof secret !== "string") {
    throw new Error("medusa-rewards phone auth: no secret (set the provider's `secret` option or http.jwtSecret)")
  }
  return secret
}
