import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { awardOrderWorkflow } from "../workflows/orders/workflows/award-order"

/**
 * `order.placed` → the order's rewards (RULES.md §1.2–1.4). A repeated or concurrent delivery
 * is harmless: the order's key is unique in the database. Failures propagate so an event bus
 * with retries (Redis, `jobOptions.attempts`) delivers the event again.
 */
export default async function orderPlacedHandler({ event, container }: SubscriberArgs<{ id: string }>) {
  // refunds that came first are in the inbox already: no payment read (see the workflow's input)
  await awardOrderWorkflow(container).run({ input: { order_id: event.data.id, read_refunds: false } })
}

export const config: SubscriberConfig = {
  event: "order.placed",
  context: { subscriberId: "medusa-rewards-order-placed" },
}
