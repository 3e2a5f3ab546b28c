import { model } from "@medusajs/framework/utils"

/**
 * The balance of one ledger account in one asset (RULES.md §1.8): a cache of the
 * transfers, which the audit recomputes. Amounts in atoms of 10^-scale (weight in
 * whole units). Member accounts are `m:<customer id>`, system accounts `sys:<name>`.
 */
const RewardsBalance = model
  .define("rewards_balance", {
    id: model.id({ prefix: "rwbal" }).primaryKey(),
    account: model.text(),
    asset: model.text(),
    amount: model.bigNumber(),
  })
  .indexes([{ on: ["account", "asset"], unique: true }])

export default RewardsBalance
