import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { REWARDS_MODULE } from "../../../../../../modules/rewards"
import type RewardsModuleService from "../../../../../../modules/rewards/service"

/**
 * `GET /store/customers/me/rewards/team` — the member's own team (RULES.md §7): direct
 * referrals, the whole downline, team performance split into its cash and points parts (§1.2),
 * and the star level (§4.4). Counts only; no downline member is named.
 */
export const GET = async (req: AuthenticatedMedusaRequest, res: MedusaResponse) => {
  const rewards = req.scope.resolve<RewardsModuleService>(REWARDS_MODULE)
  res.json({ team: await rewards.getMemberTeam(req.auth_context.actor_id) })
}
