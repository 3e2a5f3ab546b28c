import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { handle, rewards } from "../../lib/http"
import type { LedgerQuery } from "../../validators"

/**
 * GET /admin/rewards/transfers/export — every transfer of the filter as CSV, streamed page by
 * page (memory stays flat at any ledger size; the client's back-pressure is honoured).
 */
export const GET = handle(async (req: AuthenticatedMedusaRequest, res: MedusaResponse) => {
  const { cursor: _cursor, limit: _limit, ...filter } = req.validatedQuery as unknown as LedgerQuery
  res.status(200)
  res.setHeader("Content-Type", "text/csv; charset=utf-8")
  res.setHeader("Content-Disposition", `attachment; filename="rewards-transfers.csv"`)
  let closed = false
  req.on("close", () => {
    closed = true
  })
  await rewards(req).adminExportTransfers(filter, (chunk) => {
    if (closed) throw new Error("client went away")
    if (res.write(chunk)) return
    return new Promise<void>((resolve) => res.once("drain", () => resolve()))
  })
  res.end()
})
