import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError, Modules } from "@medusajs/framework/utils"
import { handle, rewards } from "../../lib/http"

/**
 * GET /admin/rewards/members/:customer_id — one member for the customer page: every balance,
 * level and star level, referrer, direct and total downline, team performance split into the
 * cash and points parts (RULES.md §7), and the 10 most recent transfers.
 */
export const GET = handle(async (req: AuthenticatedMedusaRequest, res: MedusaResponse) => {
  const customerId = req.params.customer_id
  const service = rewards(req)
  const member = await service.adminMemberDetail(customerId)
  if (!member) throw new MedusaError(MedusaError.Types.NOT_FOUND, `customer ${customerId} is not a rewards member`)
  const customerModule = req.scope.resolve(Modules.CUSTOMER)
  const ids = [customerId, ...(member.referrerId ? [member.referrerId] : [])]
  const customers = await customerModule.listCustomers({ id: ids }, { select: ["id", "email", "first_name", "last_name", "phone"] })
  const view = (id: string | null) => {
    const c = customers.find((x) => x.id === id)
    return c ? { id: c.id, email: c.email, firstName: c.first_name, lastName: c.last_name, phone: c.phone } : null
  }
  const recent = await service.adminListTransfers({ member: customerId }, { limit: 10 })
  res.json({ member: { ...member, customer: view(customerId), referrer: view(member.referrerId) }, recentTransfers: recent.transfers })
})
