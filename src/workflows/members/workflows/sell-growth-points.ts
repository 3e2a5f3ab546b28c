import { WorkflowResponse, createWorkflow } from "@medusajs/framework/workflows-sdk"
import { type SellGrowthPointsStepInput, sellGrowthPointsStep } from "../steps/sell-growth-points"

export type SellGrowthPointsWorkflowInput = SellGrowthPointsStepInput

export const sellGrowthPointsWorkflowId = "member-sell-growth-points"

/**
 * A member sells growth points back (RULES.md §2.3), or with `dry_run` gets the quote of it:
 * price, gross value, fee, credit received and balances after, computed by the same engine
 * code as the confirmed request. Run by `POST /store/customers/me/rewards/sell[/quote]`.
 */
export const sellGrowthPointsWorkflow = createWorkflow(sellGrowthPointsWorkflowId, (input: SellGrowthPointsWorkflowInput) => {
  return new WorkflowResponse(sellGrowthPointsStep(input))
})
