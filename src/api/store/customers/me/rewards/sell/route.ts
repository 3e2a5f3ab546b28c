import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { sellGrowthPointsWorkflow } from "../../../../../../workflows/members/workflows/sell-growth-points"
import type { StoreGrowthPointsBodyType } from "../../../../validators"

/**
 * `POST /store/customers/me/rewards/sell` `{ points, idempotency_key? }` — sells growth points back for stable credit (the fee stays in the pool)
 * (RULES.md §2.3), atomically under the program lock. More points than held is a 400 naming
 * `points`, and writes nothing; the same `idempotency_key` is applied once.
 */
export const POST = async (req: AuthenticatedMedusaRequest<StoreGrowthPointsBodyType>, res: MedusaResponse) => {
  const { result } = await sellGrowthPointsWorkflow(req.scope).run({
    input: {
      customer_id: req.auth_context.actor_id,
      points: req.validatedBody.points,
      idempotency_key: req.validatedBody.idempotency_key,
    },
  })
  res.json({ sell: result })
}
