import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { REWARDS_MODULE } from "../../../modules/rewards"
import type RewardsModuleService from "../../../modules/rewards/service"
import { type GrowthOperationView, growthOperationView } from "../growth-quote"

export interface SellGrowthPointsStepInput {
  customer_id: string
  /** Growth points to sell, a decimal string > 0. */
  points: string
  /** The client's key for this request: the same key is applied once. */
  idempotency_key?: string
  /** Quote only: the same engine code runs and is rolled back. */
  dry_run?: boolean
}

export const sellGrowthPointsStepId = "sell-growth-points"

/**
 * RULES.md §2.3: sells a member's growth points back at the current price; the proceeds
 * (after `sellFeeRate`, which stays in the pool) are paid as stable credit, in one transaction
 * under the program lock (`sellGrowthPoints` of the rewards module). With `dry_run` it is the
 * quote: the same engine code, rolled back. Selling more than held, or while growth is off, is
 * a 400 naming the field; nothing is written.
 *
 * Compensation: none. This is its workflow's last step, so nothing after it can fail, and a
 * sell-back cannot be undone: undoing it would lower the growth price, which only a logged
 * admin action may do (RULES.md §1.8 invariant 4); a correction is a new, admin transfer.
 */
export const sellGrowthPointsStep = createStep(sellGrowthPointsStepId, async (input: SellGrowthPointsStepInput, { container }) => {
  const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
  const growth = await rewards.getMemberGrowth(input.customer_id)
  const before = await rewards.getAccountBalances(`m:${input.customer_id}`)
  const op = await rewards.sellGrowthPoints(
    {
      customerId: input.customer_id,
      points: input.points,
      requestId: input.idempotency_key ? `${input.customer_id}:${input.idempotency_key}` : undefined,
    },
    { dryRun: input.dry_run === true }
  )
  return new StepResponse<GrowthOperationView>(
    growthOperationView({
      kind: "sell",
      customerId: input.customer_id,
      points: input.points,
      price: growth.price,
      scale: await rewards.scale(),
      feeRate: growth.sell_fee_rate,
      before,
      op,
      dryRun: input.dry_run === true,
    })
  )
})
