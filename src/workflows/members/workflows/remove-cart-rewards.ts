import { WorkflowResponse, createWorkflow } from "@medusajs/framework/workflows-sdk"
import { applyCartRewardsWorkflow } from "./apply-cart-rewards"

export interface RemoveCartRewardsWorkflowInput {
  cart_id: string
  customer_id: string
}

export const removeCartRewardsWorkflowId = "remove-cart-rewards"

/**
 * Stops paying a cart with credit and points: its rewards credit lines are removed and the
 * payment collection refreshed ({@link applyCartRewardsWorkflow} with none of either).
 */
export const removeCartRewardsWorkflow = createWorkflow(removeCartRewardsWorkflowId, (input: RemoveCartRewardsWorkflowInput) => {
  const result = applyCartRewardsWorkflow.runAsStep({
    input: { cart_id: input.cart_id, customer_id: input.customer_id, credit: "0", points: "0" },
  })
  return new WorkflowResponse(result)
})
