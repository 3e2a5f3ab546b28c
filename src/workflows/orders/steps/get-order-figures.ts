import { ContainerRegistrationKeys, MedusaError, Modules } from "@medusajs/framework/utils"
import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { REWARDS_MODULE } from "../../../modules/rewards"
import type RewardsModuleService from "../../../modules/rewards/service"
import { ORDER_FIGURE_FIELDS, ORDER_TOTAL_FIELDS, type OrderFiguresInput, orderFigures } from "../order-figures"

export interface GetOrderFiguresStepInput {
  order_id: string
  /**
   * Whether to read the order's payments and refunds (the refunded share of RULES.md §1.5;
   * default true). Without them the step takes the figures its cart left when it completed
   * (`rewards_cart_figures`), or reads the order through the Order Module alone when there are
   * none (see `awardOrderWorkflow`'s `read_refunds`).
   */
  include_refunds?: boolean
}

export const getOrderFiguresStepId = "get-order-rewards-figures"

/**
 * Reads an order and returns the figures RULES.md §1.2 and §1.5 need: the eligible items, the
 * credit and points it was paid with, the share canceled, returned or (with `include_refunds`)
 * refunded so far. With refunds it reads through Query (the order and its payment
 * collections). Without, it takes the figures the order's cart left when it completed (the
 * order is a copy of its cart; what was undone since reaches the rewards inbox as events of its
 * own), and reads the order through the Order Module alone when there are none (an order not
 * made from a cart, or a cart completed before the plugin was installed). Reads only: nothing
 * to compensate.
 */
export const getOrderFiguresStep = createStep(
  getOrderFiguresStepId,
  async (input: GetOrderFiguresStepInput, { container }) => {
    let order: Record<string, unknown> | undefined
    if (input.include_refunds === false) {
      const kept = await figuresKeptAtCheckout(container, input.order_id)
      if (kept) return new StepResponse<OrderFiguresInput>(kept)
      const orders = await container.resolve(Modules.ORDER).listOrders(
        { id: input.order_id },
        { select: [...ORDER_TOTAL_FIELDS], relations: ["items", "credit_lines"], take: 1 }
      )
      order = orders[0] as unknown as Record<string, unknown> | undefined
    } else {
      const { data } = await container.resolve(ContainerRegistrationKeys.QUERY).graph({
        entity: "order",
        fields: ORDER_FIGURE_FIELDS,
        filters: { id: input.order_id },
      })
      order = data[0]
    }
    if (!order) {
      throw new MedusaError(MedusaError.Types.NOT_FOUND, `order_id: order ${input.order_id} was not found`)
    }
    return new StepResponse<OrderFiguresInput>(orderFigures(order))
  }
)

/** The figures the order's cart left when it completed, as an unchanged order's; null if none. */
async function figuresKeptAtCheckout(
  container: { resolve<T = unknown>(key: string): T },
  orderId: string
): Promise<OrderFiguresInput | null> {
  const { data: links } = await container.resolve<{ graph(q: object): Promise<{ data: Record<string, any>[] }> }>(
    ContainerRegistrationKeys.QUERY
  ).graph({ entity: "order_cart", fields: ["cart_id"], filters: { order_id: orderId } })
  const cartId: string | undefined = links[0]?.cart_id
  if (!cartId) return null
  const kept = await container.resolve<RewardsModuleService>(REWARDS_MODULE).cartFigures(cartId)
  if (!kept) return null
  return {
    orderId,
    customerId: kept.customerId,
    ...kept.figures,
    refundedShare: "0",
    latestRefundId: null,
    canceled: false,
  }
}
