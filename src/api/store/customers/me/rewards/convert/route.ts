import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { convertGrowthPointsWorkflow } from "../../../../../../workflows/members/workflows/convert-growth-points"
import type { StoreGrowthPointsBodyType } from "../../../../validators"

/**
 * `POST /store/customers/me/rewards/convert` `{ points, idempotency_key? }` — converts growth points into stable credit
 * (RULES.md §2.5), atomically under the program lock. More points than held is a 400 naming
 * `points`, and writes nothing; the same `idempotency_key` is applied once.
 */
export const POST = async (req: AuthenticatedMedusaRequest<StoreGrowthPointsBodyType>, res: MedusaResponse) => {
  const { result } = await convertGrowthPointsWorkflow(req.scope).run({
    input: {
      customer_id: req.auth_context.actor_id,
      points: req.validatedBody.points,
      idempotency_key: req.validatedBody.idempotency_key,
    },
  })
  res.json({ convert: result })
}
