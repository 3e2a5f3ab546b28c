import { WorkflowResponse, createWorkflow } from "@medusajs/framework/workflows-sdk"
import { closeDueDaysStep } from "../steps/close-due-days"

export const closeDueDaysWorkflowId = "close-due-business-days"

/**
 * The daily cycle (RULES.md §6): closes every business day that is due, catching up after
 * downtime. Run by the scheduled job and by the admin's "close pending days now".
 */
export const closeDueDaysWorkflow = createWorkflow(closeDueDaysWorkflowId, () => {
  return new WorkflowResponse(closeDueDaysStep())
})
