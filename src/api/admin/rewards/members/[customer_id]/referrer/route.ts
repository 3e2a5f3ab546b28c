import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { AdminInputError } from "../../../../../../modules/rewards/admin-queries"
import { adminId, handle, rewards } from "../../../lib/http"
import type { ChangeReferrerBody } from "../../../validators"

/**
 * POST /admin/rewards/members/:customer_id/referrer — RULES.md §1.1: changes a member's referrer
 * before the member's first order (engine.changeReferrer). `referrer` is the new referrer's
 * customer id or referral code, or null to remove it. A cycle, an unknown referrer or a member
 * who already ordered is a 400 that writes nothing.
 */
export const POST = handle(async (req: AuthenticatedMedusaRequest<ChangeReferrerBody>, res: MedusaResponse) => {
  const body = req.validatedBody as ChangeReferrerBody
  const service = rewards(req)
  let referrerId: string | null = null
  if (body.referrer !== null) {
    const found = await service.adminMembersMatching(body.referrer)
    if (found.length !== 1) {
      throw new AdminInputError([{ field: "referrer", rule: `${body.referrer} is neither a member's customer id nor a referral code` }])
    }
    referrerId = found[0]
  }
  const result = await service.adminChangeReferrer({ customerId: req.params.customer_id, referrerId, adminId: adminId(req) })
  const member = await service.adminMemberDetail(req.params.customer_id)
  res.json({ day: result.day, member })
})
