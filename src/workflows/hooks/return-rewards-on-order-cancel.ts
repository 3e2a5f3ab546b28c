/**
 * RULES.md §1.2 decision: a canceled order gives back all the credit and points it was paid
 * with, inside `cancelOrderWorkflow` (its `orderCanceled` hook, after the order is canceled),
 * by a transfer of its own; credit debt is settled first (§1.7).
 *
 * Compensation: what was given back is taken back (debt for what the member already spent).
 */
import { cancelOrderWorkflow } from "@medusajs/medusa/core-flows"
import { StepResponse } from "@medusajs/framework/workflows-sdk"
import { type ReturnedCheckout, undoCheckoutReturns } from "../members/cart-rewards"
import { returnCheckoutRewardsWorkflow } from "../members/workflows/return-checkout-rewards"

cancelOrderWorkflow.hooks.orderCanceled(
  async ({ order }, { container }) => {
    const { result } = await returnCheckoutRewardsWorkflow(container).run({
      input: { order_id: (order as { id: string }).id, cause: { type: "cancel" } },
    })
    const returned = result as ReturnedCheckout[]
    return new StepResponse(returned, returned)
  },
  async (returned, { container }) => {
    await undoCheckoutReturns(container, returned)
  }
)
