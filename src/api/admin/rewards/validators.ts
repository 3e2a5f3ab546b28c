/**
 * Request schemas of the rewards admin routes (issue 5). Strict: an unknown key is a 400 that
 * names it. The program configuration itself is validated by the one config schema
 * (src/engine/config.ts), never here.
 */
import { z } from "zod"
import { ASSETS } from "../../../engine/ledger"
import { SORTABLE_BALANCES } from "../../../modules/rewards/admin-queries"
import { DAY, DECIMAL, SIGNED_DECIMAL, intString } from "./lib/http"

const ADJUSTABLE = ["CREDIT", "POINTS", "QUOTA", "WEIGHT", "GROWTH"] as const

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: () => `must be one of ${values.join(", ")}` })

/** POST /admin/rewards/config/validate */
export const ValidateConfigBody = z.strictObject({
  config: z.unknown().refine((v) => v !== undefined, "is required"),
})

/** POST /admin/rewards/config */
export const SaveConfigBody = z.strictObject({
  config: z.unknown().refine((v) => v !== undefined, "is required"),
  note: z.string().max(500, "must be at most 500 characters").optional(),
  acknowledgement: z
    .strictObject({
      noticeVersion: z.string({ error: "must be the notice version shown (a string)" }),
      locale: z.string().max(20).optional(),
      accepted: z.literal(true, { error: "must be true" }),
    })
    .optional(),
})
export type SaveConfigBody = z.infer<typeof SaveConfigBody>

/** GET /admin/rewards/members */
export const ListMembersQuery = z.strictObject({
  q: z.string().max(200, "must be at most 200 characters").optional(),
  sort: oneOf(["joined", ...SORTABLE_BALANCES] as const).optional().default("joined"),
  order: oneOf(["asc", "desc"] as const).optional().default("desc"),
  limit: intString(1, 100, 20),
  offset: intString(0, 1_000_000_000, 0),
})
export type ListMembersQuery = z.infer<typeof ListMembersQuery>

/** POST /admin/rewards/members/:customer_id/adjustments (RULES.md §5) */
export const AdjustBody = z.strictObject({
  asset: oneOf(ADJUSTABLE),
  amount: SIGNED_DECIMAL,
  reason: z
    .string({ error: "is required" })
    .refine((r) => r.trim() !== "", "is required (not only whitespace)")
    .refine((r) => r.length <= 500, "must be at most 500 characters"),
})
export type AdjustBody = z.infer<typeof AdjustBody>

/** POST /admin/rewards/members/:customer_id/referrer (RULES.md §1.1) */
export const ChangeReferrerBody = z.strictObject({
  /** The new referrer's customer id or referral code; null removes the referrer. */
  referrer: z.union([z.string().min(1, "must not be empty"), z.null()], { error: "must be a customer id, a referral code or null" }),
})
export type ChangeReferrerBody = z.infer<typeof ChangeReferrerBody>

/** GET /admin/rewards/transfers and /admin/rewards/transfers/export */
export const LedgerQuery = z.strictObject({
  member: z.string().min(1).optional(),
  asset: oneOf(ASSETS).optional(),
  reason: z.string().regex(/^[a-z.]+$/, "must be a transfer reason such as admin.adjust").optional(),
  day: DAY.optional(),
  order: z.string().min(1).optional(),
  cursor: z.string().regex(/^\d+$/, "must be the nextCursor of the previous page").optional(),
  limit: intString(1, 500, 50),
})
export type LedgerQuery = z.infer<typeof LedgerQuery>

/** GET /admin/rewards/dashboard */
export const DashboardQuery = z
  .strictObject({ from: DAY.optional(), to: DAY.optional() })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "must not be before from", path: ["to"] })
export type DashboardQuery = z.infer<typeof DashboardQuery>

const rate = (label = "must be between 0 and 1") =>
  DECIMAL.refine((v) => Number(v) <= 1, label)

/** POST /admin/rewards/forecast (RULES.md §10) */
export const ForecastBody = z.strictObject({
  /** A draft configuration; omitted: the configuration in force today. */
  config: z.unknown().optional(),
  horizon: z.number({ error: "must be a whole number of days" }).int("must be a whole number of days").min(1, "must be at least 1").max(365, "must be at most 365"),
  seed: z.number().int("must be an integer").min(0).max(2 ** 31 - 1).optional().default(1),
  path: z.strictObject({
    dailySales: DECIMAL,
    growthRate: z
      .union([z.string(), z.number()])
      .transform((v) => String(v))
      .refine((v) => /^-?\d+(\.\d+)?$/.test(v) && Number(v) > -1 && Number(v) <= 1, "must be a decimal in (-1, 1]"),
    stopDay: z.number().int("must be a whole day number").min(1, "must be at least 1").nullable().optional().default(null),
    averageOrder: DECIMAL.refine((v) => Number(v) > 0, "must be greater than 0"),
    referral: z
      .strictObject({
        newMemberShare: rate().optional().default("0.3"),
        referredShare: rate().optional().default("0.8"),
      })
      .optional()
      .default({ newMemberShare: "0.3", referredShare: "0.8" }),
  }),
  base: z
    .discriminatedUnion(
      "kind",
      [
        z.strictObject({ kind: z.literal("current") }),
        z.strictObject({
          kind: z.literal("synthetic"),
          members: z.number().int("must be a whole number").min(0).max(100_000, "must be at most 100000"),
          averageOrder: DECIMAL.refine((v) => Number(v) > 0, "must be greater than 0"),
          referredShare: rate().optional().default("0.8"),
        }),
      ],
      { error: () => "kind must be current or synthetic" }
    )
    .optional()
    .default({ kind: "current" }),
})
export type ForecastBody = z.infer<typeof ForecastBody>
