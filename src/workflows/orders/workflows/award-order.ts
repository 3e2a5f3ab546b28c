import { WorkflowResponse, createWorkflow } from "@medusajs/framework/workflows-sdk"
import { getOrderFiguresStep } from "../steps/get-order-figures"
import { recordOrderStep } from "../steps/record-order"

export interface AwardOrderWorkflowInput {
  order_id: string
  /**
   * Whether to read the order's refunds from its payments (default true). The `order.placed`
   * subscriber passes false: every refund of the order reaches the rewards inbox through its
   * own event, and one that came before the award is reversed from there, so the award skips
   * the payment read (the costliest part of its work). A script that awards orders whose events
   * were lost (README, "Running in production") keeps the default: their refund events may be
   * lost too.
   */
  read_refunds?: boolean
}

export const awardOrderWorkflowId = "award-order-rewards"

/**
 * Issues the rewards of a placed order (RULES.md §1.2–1.4): reads the order, decides its
 * eligible amount and records it; every enabled scheme's purchase rules then apply, at once or
 * in the day close. Run by the `order.placed` subscriber; safe to run again for the same order.
 */
export const awardOrderWorkflow = createWorkflow(awardOrderWorkflowId, (input: AwardOrderWorkflowInput) => {
  const figures = getOrderFiguresStep({ order_id: input.order_id, include_refunds: input.read_refunds })
  const recorded = recordOrderStep(figures)
  return new WorkflowResponse(recorded)
})
