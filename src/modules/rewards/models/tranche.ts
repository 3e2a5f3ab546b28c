import { model } from "@medusajs/framework/utils"

/**
 * Locked points of one order, released daily (RULES.md §4.1–4.2, §4.6). `remaining` is what the
 * last operation that touched the tranche left; the day close keeps what each close leaves in the
 * member's day snapshot instead (Migration20261203070000): `rewards_tranche_now` gives the current
 * value.
 */
const RewardsTranche = model
  .define("rewards_tranche", {
    id: model.id({ prefix: "rwtr" }).primaryKey(),
    order_id: model.text(),
    member_id: model.text(),
    /** The creating order's seq: oldest first. */
    seq: model.number(),
    multiple: model.bigNumber(),
    remaining: model.bigNumber(),
    net_amount: model.bigNumber(),
    daily_base: model.bigNumber(),
  })
  .indexes([
    { on: ["order_id"], unique: true },
    { on: ["seq"], unique: true },
    { on: ["member_id", "seq"] },
  ])

export default RewardsTranche
