/**
 * Runs in every integration suite before the test framework (jest
 * `setupFiles`), inside the suite's own module registry.
 */

// Medusa's logger reads LOG_LEVEL when it is first loaded; "error" cuts the
// output ~10x. Set LOG_LEVEL=info (or debug) to see everything.
process.env.LOG_LEVEL ??= "error"
process.env.MEDUSA_DISABLE_TELEMETRY ??= "true"

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
