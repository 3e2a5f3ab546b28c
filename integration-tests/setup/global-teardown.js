/**
 * Jest `globalTeardown` of the `integration` project: stops the embedded
 * PostgreSQL started by global-setup.js (if it started one) and removes its
 * temporary directory. A server given through DB_HOST / DATABASE_URL is left
 * alone.
 */
const fsp = require("node:fs/promises")

const STATE_KEY = "__medusaRewardsEmbeddedPostgres"
const STOP_TIMEOUT_MS = 15_000

async function stop(pg) {
  const child = pg.process
  if (!child) return
  let timer
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve("timeout"), STOP_TIMEOUT_MS)
    timer.unref()
  })
  // SIGINT: PostgreSQL's fast shutdown (ends open sessions, no checkpoint wait).
  const result = await Promise.race([pg.stop().then(() => "stopped"), timedOut])
  clearTimeout(timer)
  if (result === "timeout" && child.exitCode === null) {
    process.stderr.write("[integration] PostgreSQL did not stop in time; killing it\n")
    child.kill("SIGKILL")
  }
}

module.exports = async function globalTeardown() {
  const state = globalThis[STATE_KEY]
  if (!state) return
  globalThis[STATE_KEY] = undefined
  try {
    if (state.pg) await stop(state.pg)
  } finally {
    await fsp.rm(state.base, { recursive: true, force: true, maxRetries: 3 })
  }
}
