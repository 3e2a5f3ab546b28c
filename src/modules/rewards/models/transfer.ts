import { model } from "@medusajs/framework/utils"

/**
 * One append-only ledger transfer (after TigerBeetle): `amount` atoms of `asset` move
 * from `debit` to `credit`. Never updated or deleted; a correction is a new transfer.
 * Its identity and idempotency come from its batch, so the hot table carries no per-row
 * text key.
 */
const RewardsTransfer = model
  .define("rewards_transfer", {
    id: model.autoincrement().primaryKey(),
    batch_id: model.number(),
    day: model.text(),
    asset: model.text(),
    debit: model.text(),
    credit: model.text(),
    amount: model.bigNumber(),
    reason: model.text(),
  })
  .indexes([{ on: ["batch_id"] }])

export default RewardsTransfer
