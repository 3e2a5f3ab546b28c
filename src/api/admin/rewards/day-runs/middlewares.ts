import { type MiddlewareRoute, validateAndTransformBody, validateAndTransformQuery } from "@medusajs/framework/http"
import { AdminCloseDaysBody, AdminListDayRunsQuery } from "./validators"

export const dayRunsMiddlewares: MiddlewareRoute[] = [
  {
    method: ["GET"],
    matcher: "/admin/rewards/day-runs",
    middlewares: [validateAndTransformQuery(AdminListDayRunsQuery, {})],
  },
  {
    method: ["POST"],
    matcher: "/admin/rewards/day-runs/close",
    middlewares: [validateAndTransformBody(AdminCloseDaysBody)],
  },
]
