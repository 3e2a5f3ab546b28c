import { model } from "@medusajs/framework/utils"

/**
 * What RULES.md §1.2 reads of an order, taken from its cart when the cart completes
 * (`completeCartWorkflow`'s validate hook): the order is a copy of the cart, so the award of
 * the `order.placed` event reads these figures instead of reading the order back through the
 * Order Module. One row per cart (the storefront's `rewards_checkout` is what a cart paid with
 * credit and points); a completion that is tried again rewrites it. `figures`
 * holds the currency code and exact decimal strings: `items`, `total`, `creditUsed`, `pointsUsed`.
 */
const RewardsCartFigures = model
  .define("rewards_cart_figures", {
    id: model.id({ prefix: "rwcf" }).primaryKey(),
    cart_id: model.text(),
    customer_id: model.text().nullable(),
    figures: model.json(),
  })
  .indexes([{ on: ["cart_id"], unique: true }])

export default RewardsCartFigures
