import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { addDays } from "../../../../engine/days"
import { handle, rewards } from "../lib/http"
import type { DashboardQuery } from "../validators"

/**
 * GET /admin/rewards/dashboard — per business day in [from, to] (default: the 30 days up to
 * today) and per scheme: pool inflows, payouts, returns, forfeits, growth price and supply;
 * and the obligations report of RULES.md §10 next to the funds that back each line.
 */
export const GET = handle(async (req: AuthenticatedMedusaRequest, res: MedusaResponse) => {
  const q = req.validatedQuery as unknown as DashboardQuery
  const service = rewards(req)
  const to = q.to ?? (await service.today())
  const from = q.from ?? addDays(to, -29)
  res.json({ from, to, ...(await service.adminDashboard({ from, to })) })
})
