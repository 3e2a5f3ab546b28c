import { model } from "@medusajs/framework/utils"

/**
 * The program's running state (one row): the business days reached and closed
 * (RULES.md §1.3), the growth price (§2.1) and the counters that order members and
 * orders. Every write of the rewards engine locks this row first, so writers queue
 * in one fixed order and never deadlock.
 */
const RewardsProgram = model.define("rewards_program", {
  id: model.id({ prefix: "rwprg" }).primaryKey(),
  /** Decimals of every stored amount (atoms of 10^-scale); fixed when the program starts. */
  scale: model.number(),
  first_day: model.text().nullable(),
  last_closed_day: model.text().nullable(),
  /** Growth price, 12 decimals (RULES.md §2.1). */
  growth_price: model.bigNumber(),
  member_seq: model.number().default(0),
  order_seq: model.number().default(0),
  op_seq: model.number().default(0),
})

export default RewardsProgram
