import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { orderOfPayment } from "../workflows/orders/order-of-payment"
import { reverseOrderWorkflow } from "../workflows/orders/workflows/reverse-order"

/**
 * `payment.refunded` → the refunded share of the order is reversed (RULES.md §1.5). The event
 * names the payment; its order is found through the payment collection link.
 */
export default async function paymentRefundedHandler({ event, container }: SubscriberArgs<{ id: string }>) {
  const orderId = await orderOfPayment(container, event.data.id)
  if (!orderId) {
    // a refund of a payment that belongs to no order (e.g. a gift-card sale) has no rewards
    container.resolve(ContainerRegistrationKeys.LOGGER).debug(`medusa-rewards: payment ${event.data.id} has no order`)
    return
  }
  await reverseOrderWorkflow(container).run({ input: { order_id: orderId, cause: { type: "refund" } } })
}

export const config: SubscriberConfig = {
  event: "payment.refunded",
  context: { subscriberId: "medusa-rewards-payment-refunded" },
}
