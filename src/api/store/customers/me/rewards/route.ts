import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { REWARDS_MODULE } from "../../../../../modules/rewards"
import type RewardsModuleService from "../../../../../modules/rewards/service"

/**
 * `GET /store/customers/me/rewards` — the signed-in member's balances of every asset, each
 * with its label, meaning and whether its scheme is on; their referral code and link, level,
 * star level and the checkout shares. 404 for a customer who never joined.
 */
export const GET = async (req: AuthenticatedMedusaRequest, res: MedusaResponse) => {
  const rewards = req.scope.resolve<RewardsModuleService>(REWARDS_MODULE)
  res.json({ rewards: await rewards.getMemberRewards(req.auth_context.actor_id) })
}
