import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys, MedusaError } from "@medusajs/framework/utils"
import { Dec } from "../../../../../engine/decimal"
import { REWARDS_MODULE } from "../../../../../modules/rewards"
import type RewardsModuleService from "../../../../../modules/rewards/service"
import { CART_REWARDS_FIELDS, rewardsLinesOf, totalBeforeRewards } from "../../../../../workflows/members/cart-rewards"
import { applyCartRewardsWorkflow } from "../../../../../workflows/members/workflows/apply-cart-rewards"
import { removeCartRewardsWorkflow } from "../../../../../workflows/members/workflows/remove-cart-rewards"
import type { StoreCartRewardsBodyType, StoreCartRewardsQueryType } from "../../../validators"

type Req<B = unknown, Q = Record<string, unknown>> = AuthenticatedMedusaRequest<B, Q>

/** The customer's own cart with what it pays with credit and points now (404 for anyone else's). */
async function ownCart(req: Req<any, any>) {
  const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({ entity: "cart", fields: CART_REWARDS_FIELDS, filters: { id: req.params.id } })
  const cart = data[0] as Record<string, any> | undefined
  if (!cart || cart.customer_id !== req.auth_context.actor_id) {
    throw new MedusaError(MedusaError.Types.NOT_FOUND, `cart_id: cart ${req.params.id} was not found`)
  }
  return cart
}

async function view(req: Req<any, any>, credit?: string) {
  const cart = await ownCart(req)
  const lines = rewardsLinesOf(cart)
  const rewards = req.scope.resolve<RewardsModuleService>(REWARDS_MODULE)
  const limits = await rewards.storefront().checkoutLimits({
    customerId: req.auth_context.actor_id,
    total: new Dec(totalBeforeRewards(cart, lines)),
    currencyCode: cart.currency_code,
    credit: new Dec(credit ?? lines.credit),
  })
  return {
    cart_id: cart.id,
    currency: limits.currency,
    order_total: limits.total.toFixed(),
    total_to_pay: cart.total !== undefined ? new Dec(String(cart.total)).toFixed() : null,
    applied: { credit: lines.credit, points: lines.points, points_value: lines.pointsValue },
    held: limits.held,
    limits: {
      point_value: limits.pointValue.toFixed(),
      credit_cap: limits.creditCap.toFixed(),
      points_value_cap: limits.pointsValueCap.toFixed(),
      max_credit: limits.maxCredit.toFixed(),
      max_points: limits.maxPoints.toFixed(),
      credit_blocked: limits.creditBlocked,
    },
  }
}

/**
 * `GET /store/carts/:id/rewards?credit=` — what the signed-in customer's cart may be paid with
 * (RULES.md §2.5, §4.7): balances, `creditMaxShare` and `pointsMaxShare` caps of the total, the
 * most credit and (next to `credit`) the most points usable, and what is applied now.
 */
export const GET = async (req: Req<unknown, StoreCartRewardsQueryType>, res: MedusaResponse) => {
  const q = req.validatedQuery as StoreCartRewardsQueryType
  res.json({ cart_rewards: await view(req, q.credit) })
}

/**
 * `POST /store/carts/:id/rewards` `{ credit?, points? }` — pays the cart partly with stable
 * credit and released points, as credit lines; omitted parts are kept, 0 removes one. Refused
 * with a 400 naming the field: more than held, more than a cap allows, a value that is not a
 * whole minor unit. The balance is spent when the cart completes.
 */
export const POST = async (req: Req<StoreCartRewardsBodyType>, res: MedusaResponse) => {
  await applyCartRewardsWorkflow(req.scope).run({
    input: { cart_id: req.params.id, customer_id: req.auth_context.actor_id, credit: req.validatedBody.credit, points: req.validatedBody.points },
  })
  res.json({ cart_rewards: await view(req) })
}

/** `DELETE /store/carts/:id/rewards` — stops paying the cart with credit and points. */
export const DELETE = async (req: Req, res: MedusaResponse) => {
  await removeCartRewardsWorkflow(req.scope).run({ input: { cart_id: req.params.id, customer_id: req.auth_context.actor_id } })
  res.json({ cart_rewards: await view(req) })
}
