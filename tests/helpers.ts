import { readFileSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { parseScenario, runScenario } from "../src/simulator/scenario"
import type { SimulationOutput } from "../src/simulator/output"

export const EXAMPLES = join(__dirname, "examples")

export function exampleNames(): string[] {
  return readdirSync(join(EXAMPLES, "scenarios"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.replace(/\.json$/, ""))
    .sort()
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"))
}

export async function simulateDoc(doc: unknown): Promise<SimulationOutput> {
  return runScenario(parseScenario(doc))
}

/** A decimal string normalised for comparison: "1.50" and "1.5" are the same amount. */
export function norm(s: string): string {
  let neg = s.startsWith("-")
  if (neg) s = s.slice(1)
  let [i, f = ""] = s.split(".")
  i = i.replace(/^0+(?=\d)/, "")
  f = f.replace(/0+$/, "")
  if (i === "0" && f === "") neg = false
  return (neg ? "-" : "") + i + (f ? `.${f}` : "")
}

const NUMERIC = /^-?\d+(\.\d+)?$/

/** Every amount as its normal form, so toEqual compares amounts as numbers (SCENARIO.md). */
export function normalise(v: unknown): unknown {
  if (typeof v === "string" && NUMERIC.test(v)) return norm(v)
  if (Array.isArray(v)) return v.map(normalise)
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalise(x)]))
  }
  return v
}

/** A scenario built in code: join/order/... events as plain objects. */
export function scenario(program: unknown, events: Record<string, unknown>[]): unknown {
  return { program, events }
}
