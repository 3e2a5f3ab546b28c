import { model } from "@medusajs/framework/utils"

/**
 * Locked points of one order, released daily (RULES.md §4.1–4.2, §4.6). `released_on` and
 * `remaining_before_release` let a resumed day close start from the state it started with.
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
    released_on: model.text().nullable(),
    remaining_before_release: model.bigNumber(),
  })
  .indexes([
    { on: ["order_id"], unique: true },
    { on: ["seq"], unique: true },
    { on: ["member_id", "seq"] },
  ])

export default RewardsTranche
