import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { REWARDS_MODULE } from "../../../../../../modules/rewards"
import type RewardsModuleService from "../../../../../../modules/rewards/service"

/**
 * `GET /store/customers/me/rewards/growth` — the growth price (RULES.md §2.1), the sell-back
 * fee and conversion rate, and what the member's growth points are worth.
 */
export const GET = async (req: AuthenticatedMedusaRequest, res: MedusaResponse) => {
  const rewards = req.scope.resolve<RewardsModuleService>(REWARDS_MODULE)
  res.json({ growth: await rewards.getMemberGrowth(req.auth_context.actor_id) })
}
