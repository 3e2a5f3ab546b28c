/**
 * `medusa-rewards` command line.
 * - `simulate <file|->` runs a scenario (SCENARIO.md) on the in-memory store: the result JSON on
 *   stdout and exit 0, or one line on stderr and exit 2.
 * - `audit [--json]` checks every invariant of RULES.md §1.8 on the database named by
 *   DATABASE_URL: exit 0 when the ledger is sound, 1 with the violations and the accounts
 *   involved, 2 with one line on stderr when it cannot run.
 */
import { readFileSync } from "node:fs"
import { ScenarioError, parseScenario, runScenario } from "../simulator/scenario"

const USAGE = "usage: medusa-rewards simulate <scenario.json | -> | medusa-rewards audit [--json]"

export interface CliIO {
  stdout: (s: string) => void
  stderr: (s: string) => void
  readFile: (path: string) => string
  readStdin: () => string
  env?: Record<string, string | undefined>
}

const processIO: CliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readFile: (p) => readFileSync(p, "utf8"),
  readStdin: () => readFileSync(0, "utf8"),
  env: process.env,
}

/** One line: no newline inside a message the contract says is a single line. */
function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim()
}

export async function simulate(args: string[], io: CliIO): Promise<number> {
  if (args.length !== 1) {
    io.stderr(`${USAGE}\n`)
    return 2
  }
  let text: string
  try {
    text = args[0] === "-" ? io.readStdin() : io.readFile(args[0])
  } catch (e) {
    io.stderr(`cannot read ${args[0]}: ${oneLine((e as Error).message)}\n`)
    return 2
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    io.stderr(`invalid JSON: ${oneLine((e as Error).message)}\n`)
    return 2
  }
  try {
    const output = await runScenario(parseScenario(doc))
    io.stdout(`${JSON.stringify(output, null, 2)}\n`)
    return 0
  } catch (e) {
    if (e instanceof ScenarioError) {
      io.stderr(`invalid scenario: ${oneLine(e.message)}\n`)
      return 2
    }
    throw e
  }
}

export async function auditCommand(args: string[], io: CliIO): Promise<number> {
  const json = args.includes("--json")
  const unknown = args.filter((a) => a !== "--json")
  if (unknown.length > 0) {
    io.stderr(`unknown argument ${unknown[0]}; ${USAGE}\n`)
    return 2
  }
  const url = (io.env ?? process.env).DATABASE_URL
  if (!url) {
    io.stderr("DATABASE_URL: required (the store's PostgreSQL database)\n")
    return 2
  }
  // loaded here: `simulate` needs neither Medusa nor a database driver
  const { knex } = require("@medusajs/framework/mikro-orm/knex") as typeof import("@medusajs/framework/mikro-orm/knex")
  const { auditDatabase } = require("../modules/rewards/audit-database") as typeof import("../modules/rewards/audit-database")
  const db = knex({ client: "pg", connection: url, pool: { min: 0, max: 2 } })
  try {
    let result
    try {
      result = await auditDatabase(db)
    } catch (e) {
      io.stderr(`cannot audit ${new URL(url).pathname.slice(1) || url}: ${oneLine((e as Error).message)}\n`)
      return 2
    }
    if (json) {
      io.stdout(`${JSON.stringify(result, null, 2)}\n`)
    } else if (result.ok) {
      io.stdout(`ledger sound: ${result.transfers} transfers, ${result.accounts} accounts, every invariant of RULES.md §1.8 holds\n`)
    } else {
      io.stdout(`${result.violations.length} violation(s) in ${result.transfers} transfers:\n`)
      for (const v of result.violations) {
        io.stdout(`  invariant ${v.invariant}: ${v.message}${v.accounts.length ? ` [${v.accounts.join(", ")}]` : ""}\n`)
      }
    }
    return result.ok ? 0 : 1
  } finally {
    await db.destroy()
  }
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case "simulate":
      return simulate(rest, io)
    case "audit":
      return auditCommand(rest, io)
    default:
      io.stderr(`${USAGE}\n`)
      return 2
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (e: unknown) => {
      process.stderr.write(`internal error: ${oneLine(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`)
      process.exitCode = 1
    }
  )
}
