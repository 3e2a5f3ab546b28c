import { MedusaError, MathBN } from "@medusajs/framework/utils"
import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { Dec } from "../../../engine/decimal"
import { REWARDS_MODULE } from "../../../modules/rewards"
import type RewardsModuleService from "../../../modules/rewards/service"
import { rewardsCreditLines, rewardsLinesOf, totalBeforeRewards } from "../cart-rewards"

export interface PrepareCartRewardsStepInput {
  /** The cart as Query returns it with CART_REWARDS_FIELDS. */
  cart: Record<string, any>
  /** The signed-in customer: only the cart's own customer may pay it with their balances. */
  customer_id: string
  /** Credit to pay with (decimal string); omitted: keep what the cart has. 0 removes it. */
  credit?: string
  /** Points to pay with (decimal string); omitted: keep what the cart has. 0 removes them. */
  points?: string
}

export const prepareCartRewardsStepId = "prepare-cart-rewards"

/**
 * Decides the rewards credit lines of a cart (RULES.md §2.5, §4.7): checks that the cart is the
 * customer's and still open, prices the credit and points against the member's balances and the
 * program's caps with the engine's own rules (`creditMaxShare`, `pointsMaxShare`, `pointValue`,
 * whole minor units) and returns the lines to create and the current ones to delete. A refusal
 * is a 400 naming the field. Reads only: nothing to compensate. The balance is checked again,
 * and spent, when the cart completes.
 */
export const prepareCartRewardsStep = createStep(
  prepareCartRewardsStepId,
  async (input: PrepareCartRewardsStepInput, { container }) => {
    const cart = input.cart
    if (!cart || cart.customer_id !== input.customer_id) {
      // another customer's cart is not revealed
      throw new MedusaError(MedusaError.Types.NOT_FOUND, `cart_id: cart ${cart?.id ?? ""} was not found`)
    }
    if (cart.completed_at) throw new MedusaError(MedusaError.Types.INVALID_DATA, `cart_id: cart ${cart.id} is already completed`)
    const current = rewardsLinesOf(cart)
    const credit = input.credit ?? current.credit
    const points = input.points ?? current.points
    const total = totalBeforeRewards(cart, current)
    const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
    const priced = await rewards.storefront().quoteCheckout({
      customerId: input.customer_id,
      total: new Dec(total),
      currencyCode: cart.currency_code,
      credit: new Dec(credit),
      points: new Dec(points),
    })
    const pointsValue = priced.pointsValue.toFixed()
    const create = rewardsCreditLines({
      cartId: cart.id,
      customerId: input.customer_id,
      credit: priced.creditValue.toFixed(),
      points: new Dec(points).toFixed(),
      pointsValue,
      pointValue: MathBN.gt(points, 0) ? new Dec(pointsValue).div(points).toFixed() : "0",
    })
    return new StepResponse({
      delete: current.lineIds,
      create,
      applied: { credit: priced.creditValue.toFixed(), points: new Dec(points).toFixed(), points_value: pointsValue, order_total: total },
    })
  }
)
