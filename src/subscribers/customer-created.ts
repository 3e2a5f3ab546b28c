import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { joinMemberWorkflow } from "../workflows/members/workflows/join-member"

/**
 * `customer.created` → the customer joins the program (RULES.md §1.1), referred by the member
 * whose code is in the customer's `metadata.referral_code`.
 */
export default async function customerCreatedHandler({ event, container }: SubscriberArgs<{ id: string }>) {
  await joinMemberWorkflow(container).run({ input: { customer_id: event.data.id } })
}

export const config: SubscriberConfig = {
  event: "customer.created",
  context: { subscriberId: "medusa-rewards-customer-created" },
}
