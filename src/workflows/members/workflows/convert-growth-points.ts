import { WorkflowResponse, createWorkflow } from "@medusajs/framework/workflows-sdk"
import { type ConvertGrowthPointsStepInput, convertGrowthPointsStep } from "../steps/convert-growth-points"

export type ConvertGrowthPointsWorkflowInput = ConvertGrowthPointsStepInput

export const convertGrowthPointsWorkflowId = "member-convert-growth-points"

/**
 * A member converts growth points into stable credit (RULES.md §2.5), or with `dry_run` gets
 * the quote of it, computed by the same engine code as the confirmed request. Run by
 * `POST /store/customers/me/rewards/convert[/quote]`.
 */
export const convertGrowthPointsWorkflow = createWorkflow(convertGrowthPointsWorkflowId, (input: ConvertGrowthPointsWorkflowInput) => {
  return new WorkflowResponse(convertGrowthPointsStep(input))
})
