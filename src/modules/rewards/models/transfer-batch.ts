import { model } from "@medusajs/framework/utils"

/**
 * The unit of idempotency of the ledger (notes: "two grains"): every operation and every
 * day-close batch commits its transfers under one key derived from its cause
 * (`order:<id>:award`, `day:<D>:release:<n>`). The unique key makes a repeated cause,
 * even from another process, pay nothing twice.
 */
const RewardsTransferBatch = model
  .define("rewards_transfer_batch", {
    id: model.autoincrement().primaryKey(),
    key: model.text(),
    day: model.text(),
    /** What caused it: an order id, an admin user, a member request, a day run. */
    source: model.text(),
    /** The configuration version in force (RULES.md §7). */
    config_version: model.number(),
  })
  .indexes([{ on: ["key"], unique: true }, { on: ["day"] }])

export default RewardsTransferBatch
