/**
 * Jest `globalTeardown` of the `integration` project: stops the embedded
 * PostgreSQL started by global-setup.js (if it started one) and removes its
 * temporary directory. A server given through DB_HOST / DATABASE_URL is left
 * alone.
 */
const embeddedPostgres = require("../../scripts/lib/embedded-postgres")

const STATE_KEY = "__medusaRewardsEmbeddedPostgres"

module.exports = async function globalTeardown() {
  const server = globalThis[STATE_KEY]
  if (!server) return
  globalThis[STATE_KEY] = undefined
  await embeddedPostgres.stop(server, {
    log: (message) => process.stderr.write(`[integration] ${message}\n`),
  })
}
