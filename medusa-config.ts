/**
 * Medusa configuration of the test app: the repository's own `src/` loaded as
 * a Medusa application (`medusaIntegrationTestRunner({ inApp: true })` reads
 * this file; `src/api`, `src/subscribers`, `src/jobs`, `src/workflows` and
 * `src/links` load from source, no build step). Not part of the published
 * plugin (excluded in tsconfig.json, not in package.json `files`).
 *
 * The database comes from the DB_* variables set by
 * integration-tests/setup/global-setup.js (or DATABASE_URL); the test runner
 * replaces the database name with its own per-suite database.
 */
import { readFileSync } from "node:fs"
import { defineConfig, loadEnv } from "@medusajs/framework/utils"
import { redisModules } from "./docs/medusa-config.production"

loadEnv(process.env.NODE_ENV || "development", process.cwd())

function databaseUrl(): string {
  if (process.env.DATABASE_URL) {
    return process.env.DATABASE_URL
  }
  const user = encodeURIComponent(process.env.DB_USERNAME || "postgres")
  const password = process.env.DB_PASSWORD
    ? `:${encodeURIComponent(process.env.DB_PASSWORD)}`
    : ""
  const host = process.env.DB_HOST || "localhost"
  const port = process.env.DB_PORT || "5432"
  const name = process.env.DB_TEMP_NAME || "medusa-rewards"
  return `postgres://${user}${password}@${host}:${port}/${name}`
}

const cors =
  "http://localhost:8000,http://localhost:9000,http://localhost:5173,http://localhost:7001"

const config = defineConfig({
  projectConfig: {
    databaseUrl: databaseUrl(),
    // production profile (docs/medusa-config.production.ts): MEDUSA_REWARDS_REDIS_URL switches to
    // the Redis event bus, workflow engine and locking; MEDUSA_WORKER_MODE picks server/worker
    redisUrl: process.env.MEDUSA_REWARDS_REDIS_URL,
    http: {
      storeCors: process.env.STORE_CORS || cors,
      adminCors: process.env.ADMIN_CORS || cors,
      authCors: process.env.AUTH_CORS || cors,
      // Test-only secrets; a real store sets its own.
      jwtSecret: process.env.JWT_SECRET || "medusa-rewards-test-jwt-secret",
      cookieSecret: process.env.COOKIE_SECRET || "medusa-rewards-test-cookie-secret",
    },
  },
  admin: {
    disable: process.env.MEDUSA_REWARDS_ADMIN !== "true",
  },
  modules: [
    ...(process.env.MEDUSA_REWARDS_REDIS_URL ? redisModules(process.env.MEDUSA_REWARDS_REDIS_URL) : []),
    {
      resolve: "./src/modules/rewards",
      options: {
        // the demo passes its program as a file; tests start with every scheme off and
        // save their own configuration versions
        program: process.env.MEDUSA_REWARDS_PROGRAM_FILE
          ? JSON.parse(readFileSync(process.env.MEDUSA_REWARDS_PROGRAM_FILE, "utf8"))
          : undefined,
        dayBatchSize: process.env.MEDUSA_REWARDS_DAY_BATCH_SIZE ? Number(process.env.MEDUSA_REWARDS_DAY_BATCH_SIZE) : undefined,
        // members' share links (issue 6)
        storefrontUrl: process.env.MEDUSA_REWARDS_STOREFRONT_URL || "http://localhost:8000",
      },
    },
    // Phone accounts (issue 6, RULES.md §7): providers of a plugin are not registered by
    // Medusa; a store lists them as here (emailpass kept: replacing the auth module's options
    // replaces its default provider list).
    {
      resolve: "@medusajs/medusa/auth",
      options: {
        providers: [
          { resolve: "@medusajs/medusa/auth-emailpass", id: "emailpass" },
          { resolve: "./src/providers/phone-auth", id: "phone", options: {} },
        ],
      },
    },
    {
      resolve: "@medusajs/medusa/notification",
      options: {
        providers: [
          { resolve: "@medusajs/medusa/notification-local", id: "local", options: { name: "Local Notification Provider", channels: ["feed"] } },
          { resolve: "./src/providers/sms", id: "sms", options: { channels: ["sms"] } },
        ],
      },
    },
  ],
})

// defineConfig always adds the @medusajs/draft-order plugin (admin pages and
// routes for draft orders; the draft-order workflows themselves live in
// @medusajs/core-flows). It is not a dependency here (its exact peer pins
// conflict with ours), so it is dropped unless installed.
function isInstalled(name: string): boolean {
  try {
    require.resolve(`${name}/package.json`, { paths: [process.cwd()] })
    return true
  } catch {
    return false
  }
}
config.plugins = config.plugins.filter((plugin) => {
  const name = typeof plugin === "string" ? plugin : plugin.resolve
  return name !== "@medusajs/draft-order" || isInstalled(name)
})

module.exports = config
