import {
  acquireLockStep,
  createCartCreditLinesWorkflow,
  deleteCartCreditLinesWorkflow,
  refreshPaymentCollectionForCartWorkflow,
  releaseLockStep,
  useQueryGraphStep,
} from "@medusajs/medusa/core-flows"
import { WorkflowResponse, createWorkflow, transform, when } from "@medusajs/framework/workflows-sdk"
import { CART_REWARDS_FIELDS } from "../cart-rewards"
import { prepareCartRewardsStep } from "../steps/prepare-cart-rewards"

export interface ApplyCartRewardsWorkflowInput {
  cart_id: string
  /** The signed-in customer (the cart's own). */
  customer_id: string
  /** Credit to pay with, decimal string; omitted: unchanged; "0": none. */
  credit?: string
  /** Released points to pay with, decimal string; omitted: unchanged; "0": none. */
  points?: string
}

export const applyCartRewardsWorkflowId = "apply-cart-rewards"

/**
 * Pays (part of) a cart with the member's stable credit and released points (RULES.md §2.5,
 * §4.7) as cart credit lines `medusa-rewards:credit` / `medusa-rewards:points`, replacing the
 * ones it had, then refreshes the payment collection to the new total. Nothing is debited
 * yet: the balance is spent, atomically, when the cart completes (the `completeCartWorkflow`
 * validate hook, src/workflows/hooks). The cart is locked meanwhile (as cart completion locks
 * it). Compensation: Medusa's own credit-line workflows restore the lines they changed.
 */
export const applyCartRewardsWorkflow = createWorkflow(applyCartRewardsWorkflowId, (input: ApplyCartRewardsWorkflowInput) => {
  acquireLockStep({ key: input.cart_id, timeout: 5, ttl: 30 })
  const { data: carts } = useQueryGraphStep({
    entity: "cart",
    fields: CART_REWARDS_FIELDS,
    filters: { id: input.cart_id },
  })
  const cart = transform({ carts }, ({ carts }) => carts[0])
  const plan = prepareCartRewardsStep({ cart, customer_id: input.customer_id, credit: input.credit, points: input.points })
  when("delete-rewards-credit-lines", { plan }, ({ plan }) => plan.delete.length > 0).then(() => {
    deleteCartCreditLinesWorkflow.runAsStep({ input: { id: plan.delete } })
  })
  when("create-rewards-credit-lines", { plan }, ({ plan }) => plan.create.length > 0).then(() => {
    createCartCreditLinesWorkflow.runAsStep({ input: plan.create })
  })
  refreshPaymentCollectionForCartWorkflow.runAsStep({ input: { cart_id: input.cart_id } })
  releaseLockStep({ key: input.cart_id })
  return new WorkflowResponse(plan)
})
