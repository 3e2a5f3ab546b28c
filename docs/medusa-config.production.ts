/**
 * medusa-config.ts for a store running medusa-rewards in production: the same build runs as
 * one or more `server` instances (HTTP: storefront, admin) and one or more `worker` instances
 * (subscribers, scheduled jobs, workflow retries), all on one PostgreSQL database and one Redis.
 * See README.md, "Running in production".
 *
 *   server:  MEDUSA_WORKER_MODE=server  DISABLE_MEDUSA_ADMIN=false  npx medusa start
 *   worker:  MEDUSA_WORKER_MODE=worker  DISABLE_MEDUSA_ADMIN=true   npx medusa start
 *
 * Environment: DATABASE_URL, REDIS_URL, JWT_SECRET, COOKIE_SECRET, STORE_CORS, ADMIN_CORS,
 * AUTH_CORS, MEDUSA_BACKEND_URL; MEDUSA_WORKER_MODE and DISABLE_MEDUSA_ADMIN per instance.
 *
 * What Redis does here:
 * - event bus (`@medusajs/medusa/event-bus-redis`): events survive a restart and are delivered to
 *   one worker; a subscriber that throws is retried (`jobOptions.attempts`, exponential backoff)
 *   and only the failed subscribers run again. The local event bus (the default) neither retries
 *   nor survives a crash: an `order.placed` lost there is an award lost.
 * - workflow engine (`@medusajs/medusa/workflow-engine-redis`): scheduled jobs become one
 *   repeatable BullMQ job per job name, so each tick of `medusa-rewards-close-business-days`
 *   runs on one worker, cluster-wide (with the in-memory engine every worker runs every tick).
 * - locking (`@medusajs/medusa/locking` + `@medusajs/medusa/locking-redis`): the close job takes
 *   a lock across instances; the rewards module additionally holds a PostgreSQL advisory lock
 *   while it closes days, so a day is never closed twice at once whatever the provider.
 * - `projectConfig.redisUrl`: the servers' session store.
 *
 * This file is type-checked with the tests (tsconfig.test.json) and its Redis modules are the
 * ones the repository's own medusa-config.ts switches to when MEDUSA_REWARDS_REDIS_URL is set
 * (integration-tests/http/redis.spec.ts runs them against a real redis-server).
 */
import { defineConfig, loadEnv } from "@medusajs/framework/utils"
import type { InputConfigModules } from "@medusajs/framework/types"

loadEnv(process.env.NODE_ENV || "production", process.cwd())

export interface RedisModulesOptions {
  /**
   * Deliveries of an event to a failing subscriber, the first included (≥ 3; default 5). With
   * the default backoff the retries come 2, 4, 8 and 16 s after a failure.
   */
  eventAttempts?: number
  /** First retry delay in ms, doubled on every further retry (default 2000). */
  eventBackoffMs?: number
}

/**
 * The Redis modules of a production store: event bus with retries, workflow engine, locking.
 * Every instance (server and worker) must list the same modules with the same Redis.
 */
export function redisModules(redisUrl: string, options: RedisModulesOptions = {}): InputConfigModules {
  const attempts = Math.max(3, options.eventAttempts ?? 5)
  return [
    {
      resolve: "@medusajs/medusa/event-bus-redis",
      options: {
        redisUrl,
        jobOptions: {
          // a subscriber that throws is run again (only the failed subscribers of the event);
          // medusa-rewards keeps its idempotency in the database, so a retry never pays twice
          attempts,
          backoff: { type: "exponential", delay: options.eventBackoffMs ?? 2000 },
          // delivered events leave Redis after an hour; events that failed every attempt stay a
          // week for inspection and replay (BullMQ's failed set)
          removeOnComplete: { age: 3600, count: 10000 },
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      },
    },
    {
      resolve: "@medusajs/medusa/workflow-engine-redis",
      options: { redis: { redisUrl } },
    },
    {
      resolve: "@medusajs/medusa/locking",
      options: {
        providers: [
          { resolve: "@medusajs/medusa/locking-redis", id: "locking-redis", is_default: true, options: { redisUrl } },
        ],
      },
    },
  ]
}

const workerMode = process.env.MEDUSA_WORKER_MODE as "shared" | "worker" | "server" | undefined

export default defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    redisUrl: process.env.REDIS_URL,
    workerMode,
    http: {
      storeCors: process.env.STORE_CORS!,
      adminCors: process.env.ADMIN_CORS!,
      authCors: process.env.AUTH_CORS!,
      jwtSecret: process.env.JWT_SECRET!,
      cookieSecret: process.env.COOKIE_SECRET!,
    },
  },
  admin: {
    // workers serve no HTTP worth having: no admin bundle there
    disable: process.env.DISABLE_MEDUSA_ADMIN === "true",
    backendUrl: process.env.MEDUSA_BACKEND_URL,
  },
  plugins: [
    {
      resolve: "medusa-rewards",
      options: {
        // the initial program (configuration version 1); later versions are saved in the admin
        program: { currency: "CNY", timezone: "Asia/Shanghai", schemes: { growth: { enabled: true } } },
        // local time after which yesterday is closed by the scheduled job (default 00:05)
        closeAt: "00:05",
      },
    },
  ],
  modules: [...redisModules(process.env.REDIS_URL ?? "redis://localhost:6379")],
})
