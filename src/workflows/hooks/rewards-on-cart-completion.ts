/**
 * What the rewards plugin does when a cart completes, in `completeCartWorkflow`'s validate hook
 * (a hook takes one handler), before the order is created:
 *
 * 1. It keeps the cart's RULES.md §1.2 figures (`rewards_cart_figures`): the order is a copy of the
 *    cart, so the award of the `order.placed` event reads them instead of reading the order
 *    back through the Order Module (the costliest part of an award).
 * 2. It debits the credit and points paid at checkout (RULES.md §2.5, §4.7): what the cart's
 *    `medusa-rewards:*` credit lines say is spent under the program lock with every other
 *    rewards write, so two completions can never spend the same balance: the second finds it
 *    gone and the completion fails with a 400 naming the field. The caps are checked again
 *    against the cart as it is now.
 *
 * Compensation: if the completion fails after the hook (payment authorization, inventory…),
 * everything spent goes back to the member by a release transfer of its own, and the kept
 * figures are forgotten.
 */
import { completeCartWorkflow } from "@medusajs/medusa/core-flows"
import { MedusaError } from "@medusajs/framework/utils"
import { StepResponse } from "@medusajs/framework/workflows-sdk"
import { Dec } from "../../engine/decimal"
import { REWARDS_MODULE } from "../../modules/rewards"
import type RewardsModuleService from "../../modules/rewards/service"
import { rewardsLinesOf, totalBeforeRewards } from "../members/cart-rewards"
import { checkoutFigures } from "../orders/order-figures"

interface CartCompletionRewards {
  cart_id: string
  /** credit and points were spent (the figures are always kept) */
  spent: boolean
}

completeCartWorkflow.hooks.validate(
  async ({ cart }, { container }) => {
    const c = cart as Record<string, any>
    // a completed cart (a repeated completion) was handled when it completed
    if (!c || c.completed_at) return new StepResponse(null, null)
    const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
    const lines = rewardsLinesOf(c)
    const { customerId, ...figures } = checkoutFigures(c)
    if (lines.lineIds.length > 0 && (!customerId || lines.customerIds.some((id) => id !== customerId))) {
      throw new MedusaError(
        MedusaError.Types.INVALID_DATA,
        "customer_id: the credit and points on this cart were applied by another customer; apply them again"
      )
    }
    await rewards.keepCartFigures({ cartId: c.id, customerId, figures })
    const done: CartCompletionRewards = { cart_id: c.id, spent: false }
    if (lines.lineIds.length > 0) {
      try {
        const record = await rewards.storefront().spend({
          cartId: c.id,
          customerId: customerId!,
          total: new Dec(totalBeforeRewards(c, lines)),
          currencyCode: c.currency_code,
          credit: new Dec(lines.credit),
          points: new Dec(lines.points),
          pointsValue: new Dec(lines.pointsValue),
        })
        done.spent = record !== null
      } catch (e) {
        // the step fails, so its compensation does not run: forget the figures here
        await rewards.forgetCartFigures(c.id)
        throw e
      }
    }
    return new StepResponse(done, done)
  },
  async (done, { container }) => {
    if (!done) return
    const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
    if (done.spent) await rewards.storefront().release(done.cart_id)
    await rewards.forgetCartFigures(done.cart_id)
  }
)
