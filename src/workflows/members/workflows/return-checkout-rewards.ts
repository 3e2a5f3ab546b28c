import { useQueryGraphStep } from "@medusajs/medusa/core-flows"
import { WorkflowResponse, createWorkflow, transform } from "@medusajs/framework/workflows-sdk"
import { getOrderFiguresStep } from "../../orders/steps/get-order-figures"
import { rewardsLinesOf } from "../cart-rewards"
import { returnCheckoutRewardsStep } from "../steps/return-checkout-rewards"

export interface ReturnCheckoutRewardsWorkflowInput {
  order_id: string
  /** What undid (part of) the order. */
  cause: { type: "cancel" } | { type: "refund"; refund_id?: string } | { type: "return"; return_id: string }
}

export const returnCheckoutRewardsWorkflowId = "return-checkout-rewards"

/**
 * Gives a canceled or refunded order's credit and points back to the member (RULES.md §1.2
 * decision): reads the share of the order undone so far from Medusa (the refunded share of what
 * was paid, the returned share of the items, 1 when canceled — as the rewards reversal does)
 * and the carts its `medusa-rewards:*` credit lines came from, and returns that share of what
 * each cart spent. Run by the `cancelOrderWorkflow` hook and the refund/return subscriber; an
 * order paid without credit or points does nothing.
 *
 * Decision (§1.2 "refunded by a share f of its total"): Medusa refunds only the money paid, so f
 * is the refunded share of the money paid (or the returned share of the items, if larger; 1 on
 * cancellation) — the same f the rewards reversal uses (§1.5). A refund of 40 of the 160 paid
 * in cash for an order of 210 that credit and points paid 50 of is f = 0.25: 12.5 of those 50
 * go back with it, so the customer gets back 52.5, a quarter of the order.
 */
export const returnCheckoutRewardsWorkflow = createWorkflow(
  returnCheckoutRewardsWorkflowId,
  (input: ReturnCheckoutRewardsWorkflowInput) => {
    const figures = getOrderFiguresStep({ order_id: input.order_id })
    const { data: orders } = useQueryGraphStep({
      entity: "order",
      fields: ["id", "credit_lines.id", "credit_lines.amount", "credit_lines.reference", "credit_lines.reference_id", "credit_lines.metadata"],
      filters: { id: input.order_id },
    }).config({ name: "order-rewards-credit-lines" })
    const { data: carts } = useQueryGraphStep({
      entity: "order_cart",
      fields: ["cart_id"],
      filters: { order_id: input.order_id },
    }).config({ name: "order-cart" })
    const toReturn = transform({ input, figures, orders, carts }, ({ input, figures, orders, carts }) => {
      const lines = rewardsLinesOf(orders[0] ?? {})
      const cause = input.cause
      const causeId =
        cause.type === "cancel"
          ? "cancel"
          : cause.type === "return"
            ? `return:${cause.return_id}`
            : `refund:${cause.refund_id ?? figures.latestRefundId ?? "latest"}`
      // lines carry their cart's id; the order-cart link covers lines written without it
      const cartIds =
        lines.lineIds.length === 0
          ? []
          : lines.cartIds.length > 0
            ? lines.cartIds
            : (carts as { cart_id: string }[]).map((c) => c.cart_id)
      return { order_id: input.order_id, cart_ids: cartIds, share: figures.refundedShare, cause_id: causeId }
    })
    const returned = returnCheckoutRewardsStep(toReturn)
    return new WorkflowResponse(returned)
  }
)
