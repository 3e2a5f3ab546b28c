import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { REWARDS_MODULE } from "../../../modules/rewards"
import type RewardsModuleService from "../../../modules/rewards/service"
import type { RefundEventInput } from "../../../modules/rewards/types"

export const recordRefundStepId = "record-order-rewards-refund"

/**
 * Records a refund, return or cancellation of an order in the rewards inbox (RULES.md §1.5):
 * the order's grants are reversed up to the share undone so far, never twice. Idempotent by
 * the cause's key.
 *
 * Compensation: none. A reversal is the last step of its workflow, and undoing it would mean
 * re-granting rewards for goods that came back; a failed run is completed by running again.
 */
export const recordRefundStep = createStep(recordRefundStepId, async (input: RefundEventInput, { container }) => {
  const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
  return new StepResponse(await rewards.recordRefund(input))
})
