import { defineLink } from "@medusajs/framework/utils"
import OrderModule from "@medusajs/medusa/order"
import RewardsModule from "../modules/rewards"

/** The rewards record of a Medusa order (RULES.md §1.2–1.5), joined by Query; read-only. */
export default defineLink(
  { linkable: RewardsModule.linkable.rewardsOrder, field: "order_id" },
  OrderModule.linkable.order,
  { readOnly: true }
)
