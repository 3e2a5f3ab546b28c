/**
 * Codes travel to the SMS provider sealed (AES-256-GCM, key derived from the store's secret):
 * the notification module stores a notification's `data`, and a verification code must not sit
 * there in clear (RULES.md §7: codes are stored hashed). Only a provider holding the secret —
 * an SMS provider of this plugin — opens it, right before sending.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto"

function key(secret: string): Buffer {
  return createHash("sha256").update(`medusa-rewards:sms-seal:${secret}`).digest()
}

/** `v1.<iv>.<tag>.<ciphertext>`, base64url. */
export function sealCode(code: string, secret: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", key(secret), iv)
  const data = Buffer.concat([cipher.update(code, "utf8"), cipher.final()])
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), data.toString("base64url")].join(".")
}

/** The code inside a sealed value; throws if it was not sealed with this secret. */
export function unsealCode(sealed: string, secret: string): string {
  const [v, iv, tag, data] = String(sealed).split(".")
  if (v !== "v1" || !iv || !tag || !data) throw new Error("not a sealed code")
  const decipher = createDecipheriv("aes-256-gcm", key(secret), Buffer.from(iv, "base64url"))
  decipher.setAuthTag(Buffer.from(tag, "base64url"))
  return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8")
}
