import { ContainerRegistrationKeys, MedusaError, Modules } from "@medusajs/framework/utils"
import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { ORDER_FIGURE_FIELDS, ORDER_TOTAL_FIELDS, type OrderFiguresInput, orderFigures } from "../order-figures"

export interface GetOrderFiguresStepInput {
  order_id: string
  /**
   * Whether to read the order's payments and refunds (the refunded share of RULES.md §1.5;
   * default true). Without them the read is one Order Module call (see `awardOrderWorkflow`'s
   * `read_refunds`).
   */
  include_refunds?: boolean
}

export const getOrderFiguresStepId = "get-order-rewards-figures"

/**
 * Reads an order and returns the figures RULES.md §1.2 and §1.5 need: the eligible items, the
 * credit and points it was paid with, the share canceled, returned or (with `include_refunds`)
 * refunded so far. With refunds it reads through Query (the order and its payment
 * collections); without, through the Order Module alone. Reads only: nothing to compensate.
 */
export const getOrderFiguresStep = createStep(
  getOrderFiguresStepId,
  async (input: GetOrderFiguresStepInput, { container }) => {
    let order: Record<string, unknown> | undefined
    if (input.include_refunds === false) {
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
