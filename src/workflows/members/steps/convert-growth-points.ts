import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { REWARDS_MODULE } from "../../../modules/rewards"
import type RewardsModuleService from "../../../modules/rewards/service"
import { type GrowthOperationView, growthOperationView } from "../growth-quote"

export interface ConvertGrowthPointsStepInput {
  customer_id: string
  /** Growth points to convert, a decimal string > 0. */
  points: string
  /** The client's key for this request: the same key is applied once. */
  idempotency_key?: string
  /** Quote only: the same engine code runs and is rolled back. */
  dry_run?: boolean
}

export const convertGrowthPointsStepId = "convert-growth-points"

/**
 * RULES.md §2.5: converts a member's growth points into stable credit at price × `stableRate`;
 * the points go to the platform treasury (not burned: the price does not change), in one
 * transaction under the program lock (`convertGrowthPoints` of the rewards module). With
 * `dry_run` it is the quote: the same engine code, rolled back. Converting more than held, or
 * while growth is off, is a 400 naming the field; nothing is written.
 *
 * Compensation: none. This is its workflow's last step, so nothing after it can fail; a
 * conversion is final like every ledger entry (RULES.md §1.8: a correction is a new transfer).
 */
export const convertGrowthPointsStep = createStep(convertGrowthPointsStepId, async (input: ConvertGrowthPointsStepInput, { container }) => {
  const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
  const growth = await rewards.getMemberGrowth(input.customer_id)
  const before = await rewards.getAccountBalances(`m:${input.customer_id}`)
  const op = await rewards.convertGrowthPoints(
    {
      customerId: input.customer_id,
      points: input.points,
      requestId: input.idempotency_key ? `${input.customer_id}:${input.idempotency_key}` : undefined,
    },
    { dryRun: input.dry_run === true }
  )
  return new StepResponse<GrowthOperationView>(
    growthOperationView({
      kind: "convert",
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
