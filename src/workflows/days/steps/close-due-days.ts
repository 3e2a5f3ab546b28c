import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { REWARDS_MODULE } from "../../../modules/rewards"
import type RewardsModuleService from "../../../modules/rewards/service"

export const closeDueDaysStepId = "close-due-business-days"

/**
 * Closes every finished, unclosed business day in date order (RULES.md §1.3, §6) and applies
 * the events that waited for each close.
 *
 * Compensation: none. A day close is not undone — it is resumed: every batch commits with its
 * transfers under its own key, the day run records the step reached, and the next run carries
 * on from there, paying nothing twice.
 */
export const closeDueDaysStep = createStep(closeDueDaysStepId, async (_: void, { container }) => {
  const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
  return new StepResponse({ closed: await rewards.closeDueDays() })
})
