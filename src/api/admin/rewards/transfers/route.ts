import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { handle, rewards } from "../lib/http"
import type { LedgerQuery } from "../validators"

/**
 * GET /admin/rewards/transfers — the ledger explorer: transfers newest first, filtered by
 * member (customer id), asset, reason, business day and order, a page at a time; pass the
 * answer's `nextCursor` as `cursor` for the next page (keyset pagination).
 */
export const GET = handle(async (req: AuthenticatedMedusaRequest, res: MedusaResponse) => {
  const { cursor, limit, ...filter } = req.validatedQuery as unknown as LedgerQuery
  res.json(await rewards(req).adminListTransfers(filter, { cursor, limit }))
})
