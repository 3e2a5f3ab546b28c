import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { REWARDS_MODULE } from "../../../../modules/rewards"
import type RewardsModuleService from "../../../../modules/rewards/service"

/**
 * GET /admin/rewards/audit — every invariant of RULES.md §1.8 checked on the live ledger:
 * `{ ok, transfers, accounts, violations: [{ invariant, message, accounts }] }`.
 */
export async function GET(req: AuthenticatedMedusaRequest, res: MedusaResponse) {
  const rewards = req.scope.resolve<RewardsModuleService>(REWARDS_MODULE)
  res.json(await rewards.audit())
}
