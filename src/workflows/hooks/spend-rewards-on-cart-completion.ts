/**
 * The debit of credit and points paid at checkout (RULES.md §2.5, §4.7): when a cart completes,
 * `completeCartWorkflow`'s validate hook spends what its `medusa-rewards:*` credit lines say,
 * before the order is created. The spend runs under the program lock with every other rewards
 * write, so two completions can never spend the same balance: the second finds it gone and the
 * completion fails with a 400 naming the field. The caps are checked again against the cart as
 * it is now.
 *
 * Compensation: if the completion fails after the spend (payment authorization, inventory…),
 * everything spent goes back to the member by a release transfer of its own.
 */
import { completeCartWorkflow } from "@medusajs/medusa/core-flows"
import { MedusaError } from "@medusajs/framework/utils"
import { StepResponse } from "@medusajs/framework/workflows-sdk"
import { Dec } from "../../engine/decimal"
import { REWARDS_MODULE } from "../../modules/rewards"
import type RewardsModuleService from "../../modules/rewards/service"
import { rewardsLinesOf, totalBeforeRewards } from "../members/cart-rewards"

completeCartWorkflow.hooks.validate(
  async ({ cart }, { container }) => {
    const c = cart as Record<string, any>
    // a completed cart (a repeated completion) spent when it completed
    if (!c || c.completed_at) return new StepResponse(null, null)
    const lines = rewardsLinesOf(c)
    if (lines.lineIds.length === 0) return new StepResponse(null, null)
    const customerId: string | undefined = c.customer?.id ?? c.customer_id
    if (!customerId || lines.customerIds.some((id) => id !== customerId)) {
      throw new MedusaError(
        MedusaError.Types.INVALID_DATA,
        "customer_id: the credit and points on this cart were applied by another customer; apply them again"
      )
    }
    const storefront = container.resolve<RewardsModuleService>(REWARDS_MODULE).storefront()
    const record = await storefront.spend({
      cartId: c.id,
      customerId,
      total: new Dec(totalBeforeRewards(c, lines)),
      currencyCode: c.currency_code,
      credit: new Dec(lines.credit),
      points: new Dec(lines.points),
      pointsValue: new Dec(lines.pointsValue),
    })
    return new StepResponse(
      record ? { cart_id: c.id, credit: lines.credit, points: lines.points } : null,
      record ? { cart_id: c.id } : null
    )
  },
  async (spent, { container }) => {
    if (!spent) return
    await container.resolve<RewardsModuleService>(REWARDS_MODULE).storefront().release(spent.cart_id)
  }
)
