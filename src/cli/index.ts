/**
 * `medusa-rewards` command line. `simulate <file|->` runs a scenario (SCENARIO.md) on the
 * in-memory store: the result JSON on stdout and exit 0, or one line on stderr and exit 2.
 */
import { readFileSync } from "node:fs"
import { ScenarioError, parseScenario, runScenario } from "../simulator/scenario"

const USAGE = "usage: medusa-rewards simulate <scenario.json | ->"

export interface CliIO {
  stdout: (s: string) => void
  stderr: (s: string) => void
  readFile: (path: string) => string
  readStdin: () => string
}

const processIO: CliIO = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  readFile: (p) => readFileSync(p, "utf8"),
  readStdin: () => readFileSync(0, "utf8"),
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

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case "simulate":
      return simulate(rest, io)
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
