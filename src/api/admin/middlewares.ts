import type { MiddlewareRoute } from "@medusajs/framework/http"
import { validateBody, validateQuery } from "./rewards/lib/http"
import {
  AdjustBody,
  ChangeReferrerBody,
  DashboardQuery,
  ForecastBody,
  LedgerQuery,
  ListMembersQuery,
  SaveConfigBody,
  ValidateConfigBody,
} from "./rewards/validators"

/**
 * The rewards admin routes of issue 5 (settings, members, ledger, dashboard, forecast). Medusa
 * authenticates every /admin route as an admin user; these validate the input with zod and
 * answer 400 `{ type, message, issues: [{ field, rule }] }` before any handler runs.
 */
export const adminRewardsMiddlewares: MiddlewareRoute[] = [
  { method: ["POST"], matcher: "/admin/rewards/config/validate", middlewares: [validateBody(ValidateConfigBody)] },
  { method: ["POST"], matcher: "/admin/rewards/config", middlewares: [validateBody(SaveConfigBody)] },
  { method: ["GET"], matcher: "/admin/rewards/members", middlewares: [validateQuery(ListMembersQuery)] },
  { method: ["POST"], matcher: "/admin/rewards/members/:customer_id/adjustments", middlewares: [validateBody(AdjustBody)] },
  { method: ["POST"], matcher: "/admin/rewards/members/:customer_id/referrer", middlewares: [validateBody(ChangeReferrerBody)] },
  { method: ["GET"], matcher: "/admin/rewards/transfers", middlewares: [validateQuery(LedgerQuery)] },
  { method: ["GET"], matcher: "/admin/rewards/transfers/export", middlewares: [validateQuery(LedgerQuery)] },
  { method: ["GET"], matcher: "/admin/rewards/dashboard", middlewares: [validateQuery(DashboardQuery)] },
  { method: ["POST"], matcher: "/admin/rewards/forecast", middlewares: [validateBody(ForecastBody)] },
]
