import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { REWARDS_MODULE } from "../../../../../../modules/rewards"
import type RewardsModuleService from "../../../../../../modules/rewards/service"
import type { StoreTransfersQueryType } from "../../../../validators"

/**
 * `GET /store/customers/me/rewards/transfers?limit=&cursor=&asset=` — the member's ledger
 * transfers, newest first, each with its reason and what it means; `next_cursor` fetches the
 * next (older) page (keyset on the transfer id, stable while new transfers arrive).
 */
export const GET = async (req: AuthenticatedMedusaRequest<unknown, StoreTransfersQueryType>, res: MedusaResponse) => {
  const rewards = req.scope.resolve<RewardsModuleService>(REWARDS_MODULE)
  const q = req.validatedQuery as StoreTransfersQueryType
  res.json(await rewards.listMemberTransfers(req.auth_context.actor_id, { limit: q.limit, cursor: q.cursor, asset: q.asset }))
}
