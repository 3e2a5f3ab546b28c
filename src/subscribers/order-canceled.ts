import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { reverseOrderWorkflow } from "../workflows/orders/workflows/reverse-order"

/** `order.canceled` → the order's rewards are reversed in full (RULES.md §1.5). */
export default async function orderCanceledHandler({ event, container }: SubscriberArgs<{ id: string }>) {
  await reverseOrderWorkflow(container).run({ input: { order_id: event.data.id, cause: { type: "cancel" } } })
}

export const config: SubscriberConfig = {
  event: "order.canceled",
  context: { subscriberId: "medusa-rewards-order-canceled" },
}
