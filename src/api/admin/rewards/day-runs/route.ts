import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { REWARDS_MODULE } from "../../../../modules/rewards"
import type RewardsModuleService from "../../../../modules/rewards/service"
import type { AdminListDayRunsQueryType } from "./validators"

/**
 * GET /admin/rewards/day-runs — the daily closes (RULES.md §6), newest first: status, step
 * reached, batches committed, timings, error, per-scheme totals; and the finished business
 * days still waiting for their close.
 */
export async function GET(req: AuthenticatedMedusaRequest<unknown, AdminListDayRunsQueryType>, res: MedusaResponse) {
  const rewards = req.scope.resolve<RewardsModuleService>(REWARDS_MODULE)
  const { limit, offset } = req.validatedQuery as AdminListDayRunsQueryType
  res.json(await rewards.listDayRuns({ limit, offset }))
}
