/**
 * Runs in every integration suite before the test framework (jest
 * `setupFiles`), inside the suite's own module registry.
 */

// Medusa's logger reads LOG_LEVEL when it is first loaded; "error" cuts the
// output ~10x. Set LOG_LEVEL=info (or debug) to see everything.
process.env.LOG_LEVEL ??= "error"
process.env.MEDUSA_DISABLE_TELEMETRY ??= "true"

// The app's daily close job (src/jobs/close-business-days.ts) ticks every five minutes in the
// suite's process. Suites pin the rewards clock (`setClock`) and expect days to stay open and
// queued events to wait until they close them; a tick in between would close those days behind
// their back, and the test would fail or pass by the wall clock. Here the job's period is the
// longest timer Node keeps (about 25 days: never within a run; a cron expression that far ahead,
// such as once a year, would overflow Node's timer and fire at once, again and again). Suites
// that test the job call its handler (days.spec.ts); redis.spec.ts gives its workers a schedule.
process.env.MEDUSA_REWARDS_CLOSE_SCHEDULE ??= "2147483647"

// Several suites in one process share MikroORM's global metadata; start each
// suite clean (Medusa's documented test setup).
const { MetadataStorage } = require("@medusajs/framework/mikro-orm/core")
MetadataStorage.clear()

// When the runner drops or restores a database it ends the app's pooled
// connections; knex then logs one "Connection Error: Connection ended
// unexpectedly" line per connection through console.log. Expected, and pure
// noise: drop exactly that line (a connection lost during a query still
// fails that query, and so the test).
const consoleLog = console.log
console.log = function (...args) {
  if (
    args.length === 1 &&
    typeof args[0] === "string" &&
    args[0] === "Connection Error: Connection ended unexpectedly"
  ) {
    return
  }
  return consoleLog.apply(this, args)
}
