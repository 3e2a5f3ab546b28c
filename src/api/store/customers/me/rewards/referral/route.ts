import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { REWARDS_MODULE } from "../../../../../../modules/rewards"
import type RewardsModuleService from "../../../../../../modules/rewards/service"

/**
 * `GET /store/customers/me/rewards/referral` — the member's referral code and share link (the
 * `storefrontUrl` module option with `?ref=<code>`; null without it). A new customer who signs
 * up with the code (customer `metadata.referral_code`) is referred by this member (RULES.md §1.1).
 */
export const GET = async (req: AuthenticatedMedusaRequest, res: MedusaResponse) => {
  const rewards = req.scope.resolve<RewardsModuleService>(REWARDS_MODULE)
  res.json({ referral: await rewards.getMemberReferral(req.auth_context.actor_id) })
}
