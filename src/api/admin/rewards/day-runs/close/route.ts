import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { closeDueDaysWorkflow } from "../../../../../workflows/days/workflows/close-due-days"

/**
 * POST /admin/rewards/day-runs/close — closes every due business day now instead of waiting
 * for the job's next tick. Returns the days closed (none when another process is closing).
 */
export async function POST(req: AuthenticatedMedusaRequest, res: MedusaResponse) {
  const { result } = await closeDueDaysWorkflow(req.scope).run()
  res.json({ closed: result.closed })
}
