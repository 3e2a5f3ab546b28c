import { defineMiddlewares } from "@medusajs/framework/http"
import { dayRunsMiddlewares } from "./admin/rewards/day-runs/middlewares"
import { adminRewardsMiddlewares } from "./admin/middlewares"
import { storeRewardsMiddlewares } from "./store/middlewares"

/**
 * Validation of every rewards route (zod). Routes under /admin are authenticated as admin users
 * by Medusa itself.
 */
export default defineMiddlewares({
  routes: [...dayRunsMiddlewares, ...adminRewardsMiddlewares, ...storeRewardsMiddlewares],
})
