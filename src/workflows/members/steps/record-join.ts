import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { REWARDS_MODULE } from "../../../modules/rewards"
import type RewardsModuleService from "../../../modules/rewards/service"
import type { JoinEventInput } from "../../../modules/rewards/types"

export const recordJoinStepId = "record-member-join"

/**
 * A customer joins the program (RULES.md §1.1), under the referrer its referral code names.
 * Idempotent by the customer's key. An unknown code is recorded with the event (the customer
 * joins without a referrer); the referral forest stays cycle-free because a referrer must
 * already be a member.
 *
 * Compensation: none. Joining moves no balance; a member's place in the forest is fixed at
 * joining (RULES.md §1.1), so it is not taken back.
 */
export const recordJoinStep = createStep(recordJoinStepId, async (input: JoinEventInput, { container }) => {
  const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
  return new StepResponse(await rewards.recordJoin(input))
})
