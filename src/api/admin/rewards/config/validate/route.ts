import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { configIssues } from "../../../../../modules/rewards/admin-queries"
import { handle } from "../../lib/http"

/**
 * POST /admin/rewards/config/validate — checks a draft against the one config schema
 * (RULES.md §1.9) and returns its field errors (`ConfigError.issues`); saves nothing. The
 * settings page calls it as the merchant types.
 */
export const POST = handle(async (req: AuthenticatedMedusaRequest<{ config: unknown }>, res: MedusaResponse) => {
  const issues = configIssues((req.validatedBody as { config: unknown }).config)
  res.json({ valid: issues.length === 0, issues })
})
