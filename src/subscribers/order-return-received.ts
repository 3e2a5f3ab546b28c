import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { reverseOrderWorkflow } from "../workflows/orders/workflows/reverse-order"

/**
 * `order.return_received` → the returned share of the items is reversed (RULES.md §1.5). The
 * refund that usually follows reverses only what the return did not already.
 */
export default async function orderReturnReceivedHandler({
  event,
  container,
}: SubscriberArgs<{ order_id: string; return_id: string }>) {
  await reverseOrderWorkflow(container).run({
    input: { order_id: event.data.order_id, cause: { type: "return", return_id: event.data.return_id } },
  })
}

export const config: SubscriberConfig = {
  event: "order.return_received",
  context: { subscriberId: "medusa-rewards-order-return-received" },
}
