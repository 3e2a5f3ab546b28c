import { WorkflowResponse, createWorkflow, transform } from "@medusajs/framework/workflows-sdk"
import { getOrderFiguresStep } from "../steps/get-order-figures"
import { recordRefundStep } from "../steps/record-refund"

export interface ReverseOrderWorkflowInput {
  order_id: string
  /** What undid (part of) the order: a cancellation, a refund or a received return. */
  cause: { type: "cancel" } | { type: "refund"; refund_id?: string } | { type: "return"; return_id: string }
}

export const reverseOrderWorkflowId = "reverse-order-rewards"

/**
 * Reverses an order's rewards after a cancellation, refund or received return (RULES.md §1.5):
 * reads the share of the order undone so far from Medusa (refunded share of what was paid,
 * returned share of the items, 1 when canceled) and takes the order's grants to it. A return
 * and the refund of the same goods therefore reverse once.
 */
export const reverseOrderWorkflow = createWorkflow(reverseOrderWorkflowId, (input: ReverseOrderWorkflowInput) => {
  const figures = getOrderFiguresStep({ order_id: input.order_id })
  const refund = transform({ input, figures }, ({ input, figures }) => {
    const cause = input.cause
    const refundId =
      cause.type === "cancel"
        ? "cancel"
        : cause.type === "return"
          ? `return:${cause.return_id}`
          : (cause.refund_id ?? figures.latestRefundId ?? "refund")
    return { orderId: figures.orderId, refundId, refundedShare: figures.refundedShare }
  })
  const recorded = recordRefundStep(refund)
  return new WorkflowResponse(recorded)
})
