import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { Dec } from "../../../engine/decimal"
import { REWARDS_MODULE } from "../../../modules/rewards"
import type RewardsModuleService from "../../../modules/rewards/service"
import { type ReturnedCheckout, undoCheckoutReturns } from "../cart-rewards"

export interface ReturnCheckoutRewardsStepInput {
  order_id: string
  /** The carts whose credit and points paid the order (normally one). */
  cart_ids: string[]
  /** Share of the order undone so far by all cancellations, refunds and returns (0–1), decimal string. */
  share: string
  /** What caused it (`cancel`, `refund:<id>`, `return:<id>`): the ledger batch is keyed by it. */
  cause_id: string
}

export const returnCheckoutRewardsStepId = "return-checkout-rewards"

/**
 * RULES.md §1.2 decision: when an order paid with credit and points is canceled or refunded by
 * a share f of it, the same share of the credit and of the points goes back to the member,
 * rounded down, by a transfer of its own; credit debt is settled first (§1.7). Cumulative:
 * after refunds totalling F, floor(spent × F) has gone back, never more, whatever order the
 * causes arrive in.
 *
 * Compensation: what this run gave back is taken back (a shortfall the member already spent
 * becomes debt in that asset, §1.7) and the checkout's returned share restored.
 */
export const returnCheckoutRewardsStep = createStep(
  returnCheckoutRewardsStepId,
  async (input: ReturnCheckoutRewardsStepInput, { container }) => {
    const storefront = container.resolve<RewardsModuleService>(REWARDS_MODULE).storefront()
    const returned: ReturnedCheckout[] = []
    for (const cartId of input.cart_ids) {
      const r = await storefront.returnForOrder({ cartId, orderId: input.order_id, causeId: input.cause_id, share: new Dec(input.share) })
      if (!r) continue
      returned.push({
        cart_id: cartId,
        cause_id: input.cause_id,
        credit: r.returned.credit.toString(),
        points: r.returned.points.toString(),
        previous_share: r.previousShare,
      })
    }
    return new StepResponse(returned, returned)
  },
  async (returned, { container }) => {
    await undoCheckoutReturns(container, returned)
  }
)
