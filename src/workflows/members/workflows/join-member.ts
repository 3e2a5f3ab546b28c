import { useQueryGraphStep } from "@medusajs/medusa/core-flows"
import { WorkflowResponse, createWorkflow, transform } from "@medusajs/framework/workflows-sdk"
import { recordJoinStep } from "../steps/record-join"

export interface JoinMemberWorkflowInput {
  customer_id: string
  /** Overrides the customer's `metadata.referral_code`. */
  referral_code?: string | null
}

export const joinMemberWorkflowId = "join-rewards-member"

/** Metadata key under which a storefront passes the referrer's code at sign-up. */
export const REFERRAL_CODE_METADATA_KEY = "referral_code"

/**
 * Makes a customer a member (RULES.md §1.1), referred by the member whose code the customer
 * gave at sign-up (`metadata.referral_code`). Run by the `customer.created` subscriber.
 */
export const joinMemberWorkflow = createWorkflow(joinMemberWorkflowId, (input: JoinMemberWorkflowInput) => {
  const { data: customers } = useQueryGraphStep({
    entity: "customer",
    fields: ["id", "metadata"],
    filters: { id: input.customer_id },
    options: { throwIfKeyNotFound: true },
  })
  const join = transform({ input, customers }, ({ input, customers }) => {
    const metadata = (customers[0]?.metadata ?? {}) as Record<string, unknown>
    const code = input.referral_code ?? metadata[REFERRAL_CODE_METADATA_KEY]
    return {
      customerId: input.customer_id,
      referralCode: typeof code === "string" && code.trim() !== "" ? code : null,
    }
  })
  const recorded = recordJoinStep(join)
  return new WorkflowResponse(recorded)
})
