import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { type GrowthPointsInput, runGrowthOperation } from "../growth-quote"

export type SellGrowthPointsStepInput = GrowthPointsInput

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
  return new StepResponse(await runGrowthOperation(container, "sell", input))
})
