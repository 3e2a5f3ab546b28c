import { WorkflowResponse, createWorkflow } from "@medusajs/framework/workflows-sdk"
import { getOrderFiguresStep } from "../steps/get-order-figures"
import { recordOrderStep } from "../steps/record-order"

export interface AwardOrderWorkflowInput {
  order_id: string
}

export const awardOrderWorkflowId = "award-order-rewards"

/**
 * Issues the rewards of a placed order (RULES.md §1.2–1.4): reads the order, decides its
 * eligible amount and records it; every enabled scheme's purchase rules then apply, at once or
 * in the day close. Run by the `order.placed` subscriber; safe to run again for the same order.
 */
export const awardOrderWorkflow = createWorkflow(awardOrderWorkflowId, (input: AwardOrderWorkflowInput) => {
  const figures = getOrderFiguresStep({ order_id: input.order_id })
  const recorded = recordOrderStep(figures)
  return new WorkflowResponse(recorded)
})
