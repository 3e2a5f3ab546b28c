/**
 * Validation and errors of the rewards admin routes. Every 400 has the same body:
 * `{ type: "invalid_data", message: "<field>: <rule>; …", issues: [{ field, rule }] }` —
 * every bad field is named with the rule it broke (RULES.md §1.9), and nothing was written.
 */
import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { z } from "zod"
import { REWARDS_MODULE } from "../../../../modules/rewards"
import { AdminInputError } from "../../../../modules/rewards/admin-queries"
import type RewardsModuleService from "../../../../modules/rewards/service"

export type Issue = { field: string; rule: string }

/** zod issues → `{ field, rule }` with dotted paths (`path.referral.newMemberShare`, `items[2]`). */
export function zodIssues(error: z.ZodError, prefix = ""): Issue[] {
  const out: Issue[] = []
  for (const issue of error.issues) {
    const keys = issue.code === "unrecognized_keys" ? issue.keys.map((k) => [...issue.path, k]) : [issue.path]
    for (const path of keys) {
      let field = prefix
      for (const seg of path) field += typeof seg === "number" ? `[${seg}]` : field === "" ? String(seg) : `.${String(seg)}`
      out.push({ field: field || "body", rule: issue.code === "unrecognized_keys" ? "unknown key" : issue.message })
    }
  }
  return out
}

export function sendIssues(res: MedusaResponse, issues: Issue[]): void {
  res.status(400).json({ type: "invalid_data", message: issues.map((i) => `${i.field}: ${i.rule}`).join("; "), issues })
}

/** Validates `req.body` (or the query) with a strict zod schema; 400 with every field on failure. */
function validate(schema: z.ZodType, from: "body" | "query") {
  return (req: MedusaRequest, res: MedusaResponse, next: MedusaNextFunction) => {
    const result = schema.safeParse(from === "body" ? (req.body ?? {}) : req.query)
    if (!result.success) return sendIssues(res, zodIssues(result.error))
    ;(req as any)[from === "body" ? "validatedBody" : "validatedQuery"] = result.data
    next()
  }
}

export const validateBody = (schema: z.ZodType) => validate(schema, "body")
export const validateQuery = (schema: z.ZodType) => validate(schema, "query")

/** Runs a handler; an admin input error (or a rules refusal) becomes a 400 with its issues. */
export function handle<Req extends MedusaRequest>(fn: (req: Req, res: MedusaResponse) => Promise<void>) {
  return async (req: Req, res: MedusaResponse): Promise<void> => {
    try {
      await fn(req, res)
    } catch (e) {
      const mapped = AdminInputError.from(e)
      if (mapped instanceof AdminInputError) return sendIssues(res, mapped.issues)
      throw e
    }
  }
}

export function rewards(req: MedusaRequest): RewardsModuleService {
  return req.scope.resolve<RewardsModuleService>(REWARDS_MODULE)
}

/** The signed-in admin user (routes under /admin are authenticated by Medusa). */
export function adminId(req: MedusaRequest): string {
  const id = (req as any).auth_context?.actor_id
  if (!id) throw new AdminInputError([{ field: "authorization", rule: "an admin user is required" }])
  return id
}

// ---- shared field schemas ----

export const DAY = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date YYYY-MM-DD")
/** A signed decimal in plain notation, as a string (amounts are exact, never JSON floats). */
export const SIGNED_DECIMAL = z.string().regex(/^-?\d+(\.\d+)?$/, "must be a decimal number in plain notation, e.g. \"-12.5\"")
export const DECIMAL = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((v) => /^\d+(\.\d+)?$/.test(v), "must be a non-negative decimal number")
export const intString = (min: number, max: number, def: number) =>
  z
    .union([z.string(), z.number()])
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return def
      const n = Number(v)
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `must be an integer between ${min} and ${max}` })
        return z.NEVER
      }
      return n
    })
