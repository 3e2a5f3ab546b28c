import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { adminId, handle, rewards } from "../../../lib/http"
import type { AdjustBody } from "../../../validators"

/**
 * POST /admin/rewards/members/:customer_id/adjustments — RULES.md §5: one balance changed by a
 * signed amount with a required reason, recorded with the admin's id (the batch source). A
 * result below 0, an asset of a disabled scheme or a blank reason is a 400 that writes nothing.
 */
export const POST = handle(async (req: AuthenticatedMedusaRequest<AdjustBody>, res: MedusaResponse) => {
  const body = req.validatedBody as AdjustBody
  const result = await rewards(req).adjustBalance({
    customerId: req.params.customer_id,
    asset: body.asset,
    amount: body.amount,
    reason: body.reason.trim(),
    adminId: adminId(req),
  })
  res.status(201).json({ adjustment: { requestId: result.result, day: result.day, transfers: result.transfers } })
})
