import { defineLink } from "@medusajs/framework/utils"
import CustomerModule from "@medusajs/medusa/customer"
import RewardsModule from "../modules/rewards"

/**
 * A member is a Medusa customer (RULES.md §1.1). Read-only: the member keeps the customer id
 * (module isolation) and Query joins `rewards_member.customer` without a link table.
 */
export default defineLink(
  { linkable: RewardsModule.linkable.rewardsMember, field: "customer_id" },
  CustomerModule.linkable.customer,
  { readOnly: true }
)
