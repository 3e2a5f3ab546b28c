import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { type ProgramConfig, parseProgramConfig } from "../../../../engine/config"
import { Dec } from "../../../../engine/decimal"
import { AdminInputError, configIssues } from "../../../../modules/rewards/admin-queries"
import { type ForecastBase, MAX_ORDERS_PER_DAY, type SalesPath, maxOrdersPerDay, runForecast } from "../lib/forecast"
import { handle, rewards } from "../lib/http"
import type { ForecastBody } from "../validators"

/**
 * POST /admin/rewards/forecast — RULES.md §10: runs the configuration in force (or a draft)
 * forward over a sales path with the same engine, in memory, from the current member base or a
 * synthetic one; returns per day the obligations, their backing, payouts and pool balances.
 * Deterministic for a given `seed`. Writes nothing.
 */
export const POST = handle(async (req: AuthenticatedMedusaRequest<ForecastBody>, res: MedusaResponse) => {
  const body = req.validatedBody as ForecastBody
  const service = rewards(req)
  const source = await service.adminForecastSource()
  let config: ProgramConfig = source.config
  if (body.config !== undefined) {
    const issues = configIssues(body.config)
    if (issues.length > 0) throw new AdminInputError(issues.map((i) => ({ field: `config.${i.field}`, rule: i.rule })))
    config = parseProgramConfig(body.config)
  }
  const path: SalesPath = {
    dailySales: new Dec(body.path.dailySales),
    growthRate: new Dec(body.path.growthRate),
    stopDay: body.path.stopDay ?? null,
    averageOrder: new Dec(body.path.averageOrder),
    referral: {
      newMemberShare: new Dec(body.path.referral.newMemberShare),
      referredShare: new Dec(body.path.referral.referredShare),
    },
  }
  const peak = maxOrdersPerDay(path, body.horizon)
  if (peak > MAX_ORDERS_PER_DAY) {
    throw new AdminInputError([
      {
        field: "path.averageOrder",
        rule: `the path reaches ${peak} orders on one day (at most ${MAX_ORDERS_PER_DAY}): raise the average order or lower the sales`,
      },
    ])
  }
  const base: ForecastBase =
    body.base.kind === "current"
      ? { kind: "current", pages: source.base }
      : {
          kind: "synthetic",
          members: body.base.members,
          averageOrder: new Dec(body.base.averageOrder),
          referredShare: new Dec(body.base.referredShare),
        }
  const result = await runForecast({ config, path, horizon: body.horizon, base, seed: body.seed, startDay: source.today })
  res.json({ forecast: result, configSource: body.config === undefined ? "current" : "draft" })
})
