/**
 * Scenario files (SCENARIO.md): parsing and running them on the in-memory store with the
 * same engine the store runs. Pure: no I/O; the CLI reads the file and prints the result.
 */
import { ConfigError, parseProgramConfig, type ProgramConfig } from "../engine/config"
import { isBusinessDay } from "../engine/days"
import { Dec, PLAIN_DECIMAL } from "../engine/decimal"
import { type AdjustableAsset, type EngineOptions, RewardsEngine } from "../engine/engine"
import { RulesError } from "../engine/errors"
import { MemoryStore } from "../engine/memory-store"
import { type SimulationOutput, renderOutput } from "./output"

/** Any invalid scenario: the CLI prints the message on one line and exits 2. */
export class ScenarioError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "ScenarioError"
  }
}

export type ScenarioEvent =
  | { type: "join"; day: string; member: string; referrer: string | null }
  | { type: "order"; day: string; id: string; member: string; amount: Dec }
  | { type: "refund"; day: string; order: string; amount?: Dec }
  | { type: "sell" | "convert"; day: string; member: string; points: Dec }
  | { type: "adjust"; day: string; member: string; asset: AdjustableAsset; amount: Dec; reason: string }
  | { type: "closeDay"; day: string }

export interface Scenario {
  name?: string
  description?: string
  program: ProgramConfig
  events: ScenarioEvent[]
}

const TOP_LEVEL = new Set(["program", "events", "name", "description"])
const EVENT_TYPES = new Set(["join", "order", "refund", "sell", "convert", "adjust", "closeDay"])
const ADJUSTABLE = new Set(["CREDIT", "POINTS", "QUOTA", "WEIGHT", "GROWTH"])

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
}

/**
 * A decimal as SCENARIO.md reads it: a plain-notation string, or a JSON number taken as
 * JSON.parse read it (shortest round-trip decimal). Exponent strings are invalid.
 */
function decimalField(v: unknown, field: string): Dec {
  if (typeof v === "string") {
    if (!PLAIN_DECIMAL.test(v)) throw new ScenarioError(`${field}: must be a decimal number in plain notation, got ${JSON.stringify(v)}`)
    return new Dec(v)
  }
  if (typeof v === "number" && Number.isFinite(v)) return new Dec(v)
  throw new ScenarioError(`${field}: must be a decimal number, got ${JSON.stringify(v)}`)
}

function stringField(v: unknown, field: string): string {
  if (typeof v !== "string" || v === "") throw new ScenarioError(`${field}: must be a non-empty string`)
  return v
}

function parseEvent(raw: unknown, i: number): ScenarioEvent {
  const at = `events[${i}]`
  if (!isObject(raw)) throw new ScenarioError(`${at}: must be an object`)
  const type = raw.type
  if (typeof type !== "string" || !EVENT_TYPES.has(type)) {
    throw new ScenarioError(`${at}.type: unknown event type ${JSON.stringify(type)}`)
  }
  if (!isBusinessDay(raw.day)) throw new ScenarioError(`${at}.day: must be a date YYYY-MM-DD, got ${JSON.stringify(raw.day)}`)
  const day = raw.day
  const nonNegative = (v: unknown, field: string) => {
    const d = decimalField(v, field)
    if (d.lt(0)) throw new ScenarioError(`${field}: must not be negative`)
    return d
  }
  switch (type) {
    case "join": {
      const referrer = raw.referrer === undefined || raw.referrer === null ? null : stringField(raw.referrer, `${at}.referrer`)
      return { type, day, member: stringField(raw.member, `${at}.member`), referrer }
    }
    case "order":
      return {
        type,
        day,
        id: stringField(raw.id, `${at}.id`),
        member: stringField(raw.member, `${at}.member`),
        amount: nonNegative(raw.amount, `${at}.amount`),
      }
    case "refund":
      return {
        type,
        day,
        order: stringField(raw.order, `${at}.order`),
        ...(raw.amount === undefined ? {} : { amount: nonNegative(raw.amount, `${at}.amount`) }),
      }
    case "sell":
    case "convert":
      return { type, day, member: stringField(raw.member, `${at}.member`), points: nonNegative(raw.points, `${at}.points`) }
    case "adjust": {
      if (typeof raw.asset !== "string" || !ADJUSTABLE.has(raw.asset)) {
        throw new ScenarioError(`${at}.asset: must be one of ${[...ADJUSTABLE].join(", ")}`)
      }
      if (typeof raw.reason !== "string" || raw.reason.trim() === "") {
        throw new ScenarioError(`${at}.reason: a non-empty reason is required`)
      }
      return {
        type,
        day,
        member: stringField(raw.member, `${at}.member`),
        asset: raw.asset as AdjustableAsset,
        amount: decimalField(raw.amount, `${at}.amount`),
        reason: raw.reason,
      }
    }
    default:
      return { type: "closeDay", day }
  }
}

/** Parses a scenario document (already JSON-decoded). Throws ScenarioError. */
export function parseScenario(doc: unknown): Scenario {
  if (!isObject(doc)) throw new ScenarioError("scenario: must be a JSON object")
  for (const k of Object.keys(doc)) {
    if (!TOP_LEVEL.has(k)) throw new ScenarioError(`${k}: unknown key (a scenario holds program, events, name, description)`)
  }
  let program: ProgramConfig
  try {
    program = parseProgramConfig(doc.program === undefined ? {} : doc.program)
  } catch (e) {
    if (e instanceof ConfigError) throw new ScenarioError(`program.${e.message}`)
    throw e
  }
  if (!Array.isArray(doc.events)) throw new ScenarioError("events: must be an array")
  if (doc.name !== undefined && typeof doc.name !== "string") throw new ScenarioError("name: must be a string")
  if (doc.description !== undefined && typeof doc.description !== "string") {
    throw new ScenarioError("description: must be a string")
  }
  return {
    ...(doc.name === undefined ? {} : { name: doc.name as string }),
    ...(doc.description === undefined ? {} : { description: doc.description as string }),
    program,
    events: doc.events.map(parseEvent),
  }
}

/** A fresh in-memory engine for one program (the simulator's and the forecast's). */
export function memoryEngine(
  program: ProgramConfig,
  options: EngineOptions = {},
  store = new MemoryStore(program.schemes.growth.initialPrice.toDecimalPlaces(12, Dec.ROUND_FLOOR))
): { engine: RewardsEngine; store: MemoryStore } {
  const engine = new RewardsEngine(store, [{ version: 1, effectiveFrom: null, config: program }], options)
  return { engine, store }
}

/**
 * Applies the events in file order under RULES.md §1.3 strict day order: before an event of
 * day D every earlier unclosed day is closed; the simulator rejects events of closed days.
 */
export async function runScenario(scenario: Scenario): Promise<SimulationOutput> {
  const { engine, store } = memoryEngine(scenario.program)
  for (let i = 0; i < scenario.events.length; i++) {
    const ev = scenario.events[i]
    try {
      await applyEvent(engine, store, ev)
    } catch (e) {
      if (e instanceof RulesError) throw new ScenarioError(`events[${i}] (${ev.type} ${ev.day}): ${e.message}`)
      throw e
    }
  }
  return renderOutput(store, scenario.program)
}

async function applyEvent(engine: RewardsEngine, store: MemoryStore, ev: ScenarioEvent): Promise<void> {
  const program = store.programNow()
  if (program.lastClosedDay !== null && ev.day <= program.lastClosedDay) {
    throw new RulesError("day", `business day ${ev.day} is already closed`)
  }
  if (program.firstDay !== null && ev.day < program.firstDay) {
    throw new RulesError("day", `${ev.day} is before the first business day ${program.firstDay}`)
  }
  await engine.catchUpTo(ev.day)
  switch (ev.type) {
    case "join":
      return engine.join({ memberId: ev.member, referrerId: ev.referrer, day: ev.day })
    case "order":
      return engine.placeOrder({ orderId: ev.id, memberId: ev.member, amount: ev.amount, day: ev.day })
    case "refund":
      return engine.refund({ orderId: ev.order, ...(ev.amount ? { amount: ev.amount } : {}), day: ev.day })
    case "sell":
      await engine.sell({ memberId: ev.member, points: ev.points, day: ev.day })
      return
    case "convert":
      await engine.convert({ memberId: ev.member, points: ev.points, day: ev.day })
      return
    case "adjust":
      return engine.adjust({ memberId: ev.member, asset: ev.asset, amount: ev.amount, reason: ev.reason, day: ev.day })
    case "closeDay":
      // catch-up closed every earlier day; a program's first event may be its first close
      await engine.closeDay(ev.day)
      return
  }
}
