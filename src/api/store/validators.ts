/**
 * Bodies and queries of the storefront routes (zod, validated in src/api/store/middlewares.ts).
 * Amounts are decimal strings (numbers are accepted and read as their decimal text); a
 * rejection names the field.
 */
import { z } from "@medusajs/framework/zod"
import { Dec, PLAIN_DECIMAL } from "../../engine/decimal"
import { MEMBER_ASSETS } from "../../engine/ledger"

function decimal(field: string, rule: "positive" | "non-negative") {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const s = typeof value === "number" ? String(value) : value.trim()
    if (!PLAIN_DECIMAL.test(s)) {
      ctx.addIssue({ code: "custom", message: `${field}: must be a decimal number such as "12.5"` })
      return z.NEVER
    }
    const d = new Dec(s)
    if (rule === "positive" && !d.gt(0)) {
      ctx.addIssue({ code: "custom", message: `${field}: must be greater than 0` })
      return z.NEVER
    }
    if (rule === "non-negative" && d.lt(0)) {
      ctx.addIssue({ code: "custom", message: `${field}: must not be negative` })
      return z.NEVER
    }
    return d.toFixed()
  })
}

/** Sell-back or conversion of growth points (RULES.md §2.3, §2.5). */
export const StoreGrowthPointsBody = z.object({
  points: decimal("points", "positive"),
  /** Makes a confirmation idempotent: the same key is applied once. */
  idempotency_key: z.string().trim().min(1).max(100).optional(),
})
export type StoreGrowthPointsBodyType = z.infer<typeof StoreGrowthPointsBody>

export const StoreTransfersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, { message: "cursor: is not a cursor this endpoint returned" })
    .optional(),
  asset: z.enum(MEMBER_ASSETS as unknown as [string, ...string[]]).optional(),
})
export type StoreTransfersQueryType = z.infer<typeof StoreTransfersQuery>

/** Credit and points to pay a cart with (RULES.md §2.5, §4.7); 0 removes that part. */
export const StoreCartRewardsBody = z
  .object({
    credit: decimal("credit", "non-negative").optional(),
    points: decimal("points", "non-negative").optional(),
  })
  .refine((b) => b.credit !== undefined || b.points !== undefined, { message: "credit: or points is required" })
export type StoreCartRewardsBodyType = z.infer<typeof StoreCartRewardsBody>

export const StoreCartRewardsQuery = z.object({
  /** Credit the shopper means to use: the points limit is what it leaves. */
  credit: decimal("credit", "non-negative").optional(),
})
export type StoreCartRewardsQueryType = z.infer<typeof StoreCartRewardsQuery>

const phone = z.string().trim().min(5, { message: "phone: is required" }).max(32)
const code = z.string().trim().regex(/^\d{4,10}$/, { message: "code: must be the digits of the code received by SMS" })
const password = z.string().min(1, { message: "password: is required" }).max(200)

/** Sends an SMS code (RULES.md §7). `change` is sent to the signed-in customer's own phone. */
export const StoreSendCodeBody = z.object({
  phone,
  purpose: z.enum(["register", "login", "reset"]),
})
export type StoreSendCodeBodyType = z.infer<typeof StoreSendCodeBody>

/** A forgotten password, reset with an SMS code. */
export const StoreResetPasswordBody = z.object({ phone, code, password })
export type StoreResetPasswordBodyType = z.infer<typeof StoreResetPasswordBody>

/** The signed-in customer's new password, with an SMS code sent to their phone. */
export const StoreChangePasswordBody = z.object({ code, password })
export type StoreChangePasswordBodyType = z.infer<typeof StoreChangePasswordBody>

/** Medusa's phone auth routes: `/auth/customer/phone/register` and `/auth/customer/phone`. */
export const PhoneRegisterBody = z.object({ phone, password, code })
export const PhoneLoginBody = z
  .object({ phone, password: password.optional(), code: code.optional() })
  .refine((b) => (b.password === undefined) !== (b.code === undefined), {
    message: "password: or code is required (one of them)",
  })
