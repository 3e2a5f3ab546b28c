import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { returnCheckoutRewardsWorkflow } from "../workflows/members/workflows/return-checkout-rewards"
import { orderOfPayment } from "../workflows/orders/order-of-payment"

/**
 * `payment.refunded`, `order.return_received` → the refunded share of the credit and points an
 * order was paid with goes back to the member (RULES.md §1.2 decision). Cumulative and keyed by
 * the cause, so a redelivered event gives nothing twice. (A cancellation gives everything back
 * inside `cancelOrderWorkflow`, src/workflows/hooks.)
 */
export default async function returnCheckoutRewardsHandler({
  event,
  container,
}: SubscriberArgs<{ id?: string; order_id?: string; return_id?: string }>) {
  if (event.name === "order.return_received") {
    const { order_id, return_id } = event.data
    if (!order_id || !return_id) return
    await returnCheckoutRewardsWorkflow(container).run({ input: { order_id, cause: { type: "return", return_id } } })
    return
  }
  const orderId = event.data.id ? await orderOfPayment(container, event.data.id) : null
  if (!orderId) return
  await returnCheckoutRewardsWorkflow(container).run({ input: { order_id: orderId, cause: { type: "refund" } } })
}

export const config: SubscriberConfig = {
  event: ["payment.refunded", "order.return_received"],
  context: { subscriberId: "medusa-rewards-return-checkout-rewards" },
}
