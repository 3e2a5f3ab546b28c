import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { Modules } from "@medusajs/framework/utils"
import { handle, rewards } from "../lib/http"
import type { ListMembersQuery } from "../validators"

/** Customers matching a search through the Customer module (name, email, phone). */
const SEARCH_LIMIT = 1_000

/**
 * GET /admin/rewards/members — members with every balance, sorted by join order or a balance;
 * `q` searches customers' names, emails and phones (Customer module) and referral codes.
 */
export const GET = handle(async (req: AuthenticatedMedusaRequest, res: MedusaResponse) => {
  const query = req.validatedQuery as unknown as ListMembersQuery
  const service = rewards(req)
  const customerModule = req.scope.resolve(Modules.CUSTOMER)
  let customerIds: string[] | undefined
  let truncated = false
  if (query.q && query.q.trim() !== "") {
    const q = query.q.trim()
    const found = await customerModule.listCustomers({ q }, { take: SEARCH_LIMIT, select: ["id"] })
    truncated = found.length >= SEARCH_LIMIT
    customerIds = [...new Set([...found.map((c) => c.id), ...(await service.adminMembersMatching(q))])]
  }
  const { count, members } = await service.adminListMembers({
    customerIds,
    sort: query.sort,
    order: query.order,
    limit: query.limit,
    offset: query.offset,
  })
  const ids = members.map((m) => m.customerId)
  const customers = ids.length
    ? await customerModule.listCustomers({ id: ids }, { select: ["id", "email", "first_name", "last_name", "phone"] })
    : []
  const byId = new Map(customers.map((c) => [c.id, c]))
  res.json({
    count,
    limit: query.limit,
    offset: query.offset,
    searchTruncated: truncated,
    members: members.map((m) => {
      const c = byId.get(m.customerId)
      return {
        ...m,
        customer: c ? { id: c.id, email: c.email, firstName: c.first_name, lastName: c.last_name, phone: c.phone } : null,
      }
    }),
  })
})
