import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { sellGrowthPointsWorkflow } from "../../../../../../../workflows/members/workflows/sell-growth-points"
import type { StoreGrowthPointsBodyType } from "../../../../../validators"

/**
 * `POST /store/customers/me/rewards/sell/quote` `{ points }` — what confirming would do
 * (RULES.md §2.3): price, gross value, fee, credit and balances after, computed by the same
 * engine code and rolled back. Nothing is written.
 */
export const POST = async (req: AuthenticatedMedusaRequest<StoreGrowthPointsBodyType>, res: MedusaResponse) => {
  const { result } = await sellGrowthPointsWorkflow(req.scope).run({
    input: { customer_id: req.auth_context.actor_id, points: req.validatedBody.points, dry_run: true },
  })
  res.json({ quote: result })
}
