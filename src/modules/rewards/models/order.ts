import { model } from "@medusajs/framework/utils"

/**
 * A Medusa order as the program sees it (RULES.md §1.2–1.5): its eligible amount, when it
 * matures, what it granted and what refunds took back. Amounts are exact decimals, grant
 * vectors atoms as strings (indexed as the engine's GRANT_KINDS).
 */
const RewardsOrder = model
  .define("rewards_order", {
    id: model.id({ prefix: "rword" }).primaryKey(),
    order_id: model.text(),
    /** The buyer's customer id. */
    member_id: model.text(),
    seq: model.number(),
    placed_day: model.text(),
    amount: model.bigNumber(),
    refunded_before: model.bigNumber(),
    matures_on: model.text(),
    status: model.enum(["pending", "matured", "void"]),
    matured: model.bigNumber(),
    refunded_after: model.bigNumber(),
    refund_ids: model.json(),
    referrer_id: model.text().nullable(),
    granted: model.json().nullable(),
    worth: model.json().nullable(),
    config_version: model.number(),
  })
  .indexes([
    { on: ["order_id"], unique: true },
    { on: ["member_id"] },
    { on: ["matures_on", "status"] },
  ])

export default RewardsOrder
