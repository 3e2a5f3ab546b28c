import { model } from "@medusajs/framework/utils"

/** S of a business day: the eligible amount of the orders that matured in it (RULES.md §3.2). */
const RewardsDaySales = model
  .define("rewards_day_sales", {
    id: model.id({ prefix: "rwds" }).primaryKey(),
    day: model.text(),
    sales: model.bigNumber(),
  })
  .indexes([{ on: ["day"], unique: true }])

export default RewardsDaySales
