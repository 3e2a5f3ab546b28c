import { defineMiddlewares } from "@medusajs/framework/http"
import { dayRunsMiddlewares } from "./admin/rewards/day-runs/middlewares"

/**
 * Validation of every rewards route (zod). Routes under /admin are authenticated as admin users
 * by Medusa itself.
 */
export default defineMiddlewares({
  routes: [...dayRunsMiddlewares],
})
