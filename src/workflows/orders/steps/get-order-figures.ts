import { ContainerRegistrationKeys, MedusaError } from "@medusajs/framework/utils"
import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { ORDER_FIGURE_FIELDS, type OrderFiguresInput, orderFigures } from "../order-figures"

export interface GetOrderFiguresStepInput {
  order_id: string
}

export const getOrderFiguresStepId = "get-order-rewards-figures"

/**
 * Reads an order through Query and returns the figures RULES.md §1.2 and §1.5 need: the
 * eligible items, the credit and points it was paid with, the share refunded so far.
 * Reads only: nothing to compensate.
 */
export const getOrderFiguresStep = createStep(
  getOrderFiguresStepId,
  async (input: GetOrderFiguresStepInput, { container }) => {
    const query = container.resolve(ContainerRegistrationKeys.QUERY)
    const { data } = await query.graph({
      entity: "order",
      fields: ORDER_FIGURE_FIELDS,
      filters: { id: input.order_id },
    })
    if (!data[0]) {
      throw new MedusaError(MedusaError.Types.NOT_FOUND, `order_id: order ${input.order_id} was not found`)
    }
    return new StepResponse<OrderFiguresInput>(orderFigures(data[0]))
  }
)
