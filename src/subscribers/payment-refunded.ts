import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { reverseOrderWorkflow } from "../workflows/orders/workflows/reverse-order"

/**
 * `payment.refunded` → the refunded share of the order is reversed (RULES.md §1.5). The event
 * names the payment; its order is found through the payment collection link.
 */
export default async function paymentRefundedHandler({ event, container }: SubscriberArgs<{ id: string }>) {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "payment",
    fields: ["id", "payment_collection.order.id"],
    filters: { id: event.data.id },
  })
  const orderId = (data[0] as any)?.payment_collection?.order?.id as string | undefined
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
