/**
 * Phone numbers as logins (RULES.md §7: one phone number = one account): every number is kept
 * in one canonical E.164 form, `+<country code><number>`, so the same phone typed two ways is
 * the same account.
 */

/** E.164: `+`, a country code and at most 15 digits in all. */
const E164 = /^\+[1-9]\d{6,14}$/

/**
 * The canonical form of a phone number, or null if it is not one. Spaces, dashes, dots and
 * brackets are dropped; `00` becomes `+`; a number without a country code gets
 * `defaultCountryCode` (a leading trunk `0` dropped).
 */
export function normalizePhone(input: unknown, defaultCountryCode: string): string | null {
  if (typeof input !== "string") return null
  let s = input.trim().replace(/[\s\-().]/g, "")
  if (s.startsWith("00")) s = `+${s.slice(2)}`
  if (!s.startsWith("+")) {
    if (!/^\d+$/.test(s)) return null
    s = `+${defaultCountryCode}${s.replace(/^0/, "")}`
  }
  return E164.test(s) ? s : null
}
