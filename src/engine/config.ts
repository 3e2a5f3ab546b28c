/**
 * The program configuration (RULES.md §1.9): ONE schema for the admin API, the stored
 * configuration versions and the simulator (SCENARIO.md "Input").
 *
 * Every parameter of §2–§4 with the defaults of their tables and the validation rules of
 * §1.9 and the "Validation:" lines. Decimal parameters come out as `Dec`; they are read from
 * strings in plain notation or from JSON numbers (as `JSON.parse` read them). A rejection is
 * a `ConfigError` whose message is "<field path>: <rule broken>".
 *
 * No Medusa imports and no I/O: the engine, the store and the simulator all use this file.
 */
import { z } from "zod"
import { Dec, PLAIN_DECIMAL } from "./decimal"

// ---------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------

/** A cycle tier (§3): integer weight range [min, max] (max null = no upper bound) → rate. */
export interface Tier {
  name?: string
  min: number
  max: number | null
  rate: Dec
}

/** A release membership level (§4.1): single-order amount ≥ threshold → gift multiple. */
export interface Level {
  name?: string
  threshold: Dec
  multiple: Dec
}

/** A release team (star) level (§4.4): team performance ≥ threshold → team reward rate. */
export interface TeamLevel {
  name?: string
  threshold: Dec
  rate: Dec
}

export interface GrowthConfig {
  enabled: boolean
  poolRate: Dec
  buyerIssueRate: Dec
  referrerIssueRate: Dec
  initialPrice: Dec
  maxSupply: Dec
  sellFeeRate: Dec
  exitCapMultiple: Dec
  stableRate: Dec
}

export interface CycleConfig {
  enabled: boolean
  quotaMultiple: Dec
  weightUnit: Dec
  referralQuotaRate: Dec
  referralWeightRate: Dec
  proRataPoolRate: Dec
  tiers: Tier[]
}

export interface ReleaseConfig {
  enabled: boolean
  levels: Level[]
  dailyReleaseRate: Dec
  shareRates: Dec[]
  maxShareDepth: number
  teamRewardsEnabled: boolean
  teamLevels: TeamLevel[]
  teamMaxDepth: number | null
  peerRate: Dec
  pointValue: Dec
  pointsMaxShare: Dec
}

export interface ProgramConfig {
  currency: string
  timezone: string
  scale: number
  pendingDays: number
  rewardCreditPayments: boolean
  exchangeRates: Record<string, Dec>
  creditMaxShare: Dec
  schemes: { growth: GrowthConfig; cycle: CycleConfig; release: ReleaseConfig }
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

export interface ConfigIssue {
  /** Dot-separated path with [i] for list indices, e.g. `schemes.cycle.tiers[1].min`. */
  field: string
  /** The rule broken, in plain English. */
  rule: string
}

/** A configuration the rules refuse. `field`/`rule` describe the first issue; `issues` lists all. */
export class ConfigError extends Error {
  readonly field: string
  readonly rule: string
  readonly issues: ConfigIssue[]

  constructor(issues: ConfigIssue[]) {
    const first = issues[0] ?? { field: ROOT_FIELD, rule: "is invalid" }
    super(`${first.field}: ${first.rule}`)
    this.name = "ConfigError"
    this.field = first.field
    this.rule = first.rule
    this.issues = issues.length > 0 ? issues : [first]
  }
}

/** The field name used when the configuration as a whole is wrong (e.g. not an object). */
const ROOT_FIELD = "config"

// ---------------------------------------------------------------------------------------
// Rules (plain-English wording shared by every field)
// ---------------------------------------------------------------------------------------

const R = {
  decimal: "must be a decimal number in plain notation (a string such as \"0.3\" or a JSON number)",
  required: "is required",
  jsonInteger: "must be a JSON integer",
  tierBound: "must be an integer (a JSON integer or an integer string)",
  rate: "must be between 0 and 1",
  nonNegative: "must be at least 0",
  positive: "must be greater than 0",
  currency: "must be a 3-letter currency code (uppercase letters, e.g. CNY)",
  timezone: "unknown time zone (must be an IANA time zone name such as Asia/Shanghai)",
  string: "must be a string",
  boolean: "must be true or false",
  object: "must be an object",
  list: "must be a list",
  unknownKey: "unknown key",
} as const

const ZERO = new Dec(0)
const ONE = new Dec(1)
/** §2.1: the price is kept at 12 decimals, so the initial price must be at least 10^-12. */
const MIN_PRICE = new Dec("0.000000000001")

type Check = (d: Dec) => string | null

const rate: Check = (d) => (d.lt(ZERO) || d.gt(ONE) ? R.rate : null)
const nonNegative: Check = (d) => (d.lt(ZERO) ? R.nonNegative : null)
const positive: Check = (d) => (d.lte(ZERO) ? R.positive : null)
const minPrice: Check = (d) =>
  d.lt(MIN_PRICE) ? "must be at least 0.000000000001 (the price is kept at 12 decimals)" : null

/** Reads a decimal: a string in plain notation or a finite JSON number; anything else is an error message. */
function readDecimal(v: unknown): Dec | string {
  if (v === undefined) return R.required
  let d: Dec
  if (typeof v === "string") {
    if (!PLAIN_DECIMAL.test(v)) return R.decimal
    d = new Dec(v)
  } else if (typeof v === "number") {
    if (!Number.isFinite(v)) return R.decimal
    // A JSON number is read as JSON.parse read it: the shortest round-trip decimal of the double.
    d = new Dec(v)
  } else {
    return R.decimal
  }
  return d.isZero() ? new Dec(0) : d // no negative zero
}

/** A decimal parameter with its checks (the first check that fails is reported). */
function decimal(...checks: Check[]) {
  return z.unknown().transform((v, ctx): Dec => {
    const d = readDecimal(v)
    if (typeof d === "string") {
      ctx.addIssue({ code: "custom", message: d })
      return z.NEVER
    }
    for (const check of checks) {
      const message = check(d)
      if (message) {
        ctx.addIssue({ code: "custom", message })
        return z.NEVER
      }
    }
    return d
  })
}

/** A decimal parameter with a default (a fresh instance per parse). */
function decimalOr(defaultValue: string, ...checks: Check[]) {
  return decimal(...checks).default(() => new Dec(defaultValue))
}

const MAX_INT = Number.MAX_SAFE_INTEGER

/** Reads a JSON integer (a numeric string is rejected) within [min, max]; anything else is an error message. */
function readInteger(v: unknown, min: number, max: number, typeRule: string): number | { error: string } {
  if (v === undefined) return { error: R.required }
  if (typeof v !== "number" || !Number.isInteger(v)) return { error: typeRule }
  if (v < min || v > max) {
    if (max !== MAX_INT) return { error: `must be between ${min} and ${max}` }
    return { error: v < min ? `must be at least ${min}` : `must be at most ${max}` }
  }
  return v === 0 ? 0 : v // no negative zero
}

/** `scale`, `pendingDays`, `maxShareDepth`: a JSON integer within [min, max]. */
function jsonInteger(min: number, max: number = MAX_INT) {
  return z.unknown().transform((v, ctx): number => {
    const n = readInteger(v, min, max, R.jsonInteger)
    if (typeof n === "number") return n
    ctx.addIssue({ code: "custom", message: n.error })
    return z.NEVER
  })
}

/** `teamMaxDepth`: a JSON integer ≥ 0, or null (unlimited). */
const nullableDepth = z.unknown().transform((v, ctx): number | null => {
  if (v === null) return null
  const n = readInteger(v, 0, MAX_INT, `${R.jsonInteger} or null`)
  if (typeof n === "number") return n
  ctx.addIssue({ code: "custom", message: n.error })
  return z.NEVER
})

/** Reads a tier bound: an integer ≥ 0 given as a JSON integer or an integer string ("50"). */
function readTierBound(v: unknown, typeRule: string): number | { error: string } {
  if (v === undefined) return { error: R.required }
  let n: number
  if (typeof v === "number" && Number.isInteger(v)) {
    n = v
  } else if (typeof v === "string" && /^-?\d+$/.test(v)) {
    const big = BigInt(v)
    n = big > BigInt(MAX_INT) ? Infinity : big < 0n ? -1 : Number(big)
  } else {
    return { error: typeRule }
  }
  if (n < 0) return { error: R.nonNegative }
  if (n > MAX_INT) return { error: `must be at most ${MAX_INT}` }
  return n === 0 ? 0 : n // no negative zero
}

/** A tier's `min`. */
const tierMin = z.unknown().transform((v, ctx): number => {
  const n = readTierBound(v, R.tierBound)
  if (typeof n === "number") return n
  ctx.addIssue({ code: "custom", message: n.error })
  return z.NEVER
})

/** A tier's `max`: absent or null = no upper bound. */
const tierMax = z.unknown().transform((v, ctx): number | null => {
  if (v === undefined || v === null) return null
  const n = readTierBound(v, `${R.tierBound}, or null for no upper bound`)
  if (typeof n === "number") return n
  ctx.addIssue({ code: "custom", message: n.error })
  return z.NEVER
})

/** A list that replaces its default entirely when given (an empty list is allowed). */
function listOr<T extends z.ZodTypeAny>(item: T, defaults: () => z.output<T>[]) {
  return z.array(item).default(defaults)
}

const name = z.string().optional()
const bool = (defaultValue: boolean) => z.boolean().default(defaultValue)

const currencyCode = /^[A-Z]{3}$/

function isTimeZone(tz: string): boolean {
  if (tz.trim() === "" || tz !== tz.trim()) return false
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: tz })
    return true
  } catch {
    return false
  }
}

// ---------------------------------------------------------------------------------------
// Defaults (the tables of §2, §3, §4)
// ---------------------------------------------------------------------------------------

const DEFAULT_TIERS: Array<[string, number, number | null, string]> = [
  ["V1", 50, 100, "0.01"],
  ["V2", 101, 200, "0.03"],
  ["V3", 201, 500, "0.06"],
]

const DEFAULT_LEVELS: Array<[string, string]> = [
  ["3000", "2.5"],
  ["9000", "3"],
  ["27000", "3.5"],
  ["51000", "4"],
]

const DEFAULT_TEAM_LEVELS: Array<[string, string, string]> = [
  ["1★", "50000", "0.10"],
  ["2★", "200000", "0.20"],
  ["3★", "600000", "0.26"],
  ["4★", "2000000", "0.32"],
  ["5★", "6000000", "0.38"],
  ["6★", "15000000", "0.44"],
  ["7★", "30000000", "0.50"],
]

const DEFAULT_SHARE_RATES = ["0.50", "0.30"]

// ---------------------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------------------

const tierSchema = z.strictObject({
  name,
  min: tierMin,
  max: tierMax,
  rate: decimal(rate),
})

const levelSchema = z.strictObject({
  name,
  threshold: decimal(positive),
  multiple: decimal(nonNegative),
})

const teamLevelSchema = z.strictObject({
  name,
  threshold: decimal(nonNegative),
  rate: decimal(rate),
})

const growthSchema = z
  .strictObject({
    enabled: bool(false),
    poolRate: decimalOr("0.30", rate),
    buyerIssueRate: decimalOr("0.70", rate),
    referrerIssueRate: decimalOr("0", rate),
    initialPrice: decimalOr("1", positive, minPrice),
    maxSupply: decimalOr("100000000", nonNegative),
    sellFeeRate: decimalOr("0.10", rate),
    exitCapMultiple: decimalOr("0", nonNegative),
    stableRate: decimalOr("1", nonNegative),
  })
  .transform((g, ctx): GrowthConfig => {
    // §2 Validation: buyerIssueRate + referrerIssueRate ≤ 1 (otherwise the price could fall).
    const sum = g.buyerIssueRate.plus(g.referrerIssueRate)
    if (sum.gt(ONE)) {
      ctx.addIssue({
        code: "custom",
        path: ["referrerIssueRate"],
        message: `buyerIssueRate + referrerIssueRate must not exceed 1 (the sum is ${sum.toFixed()})`,
      })
      return z.NEVER
    }
    return g
  })

function showRange(t: { min: number; max: number | null }): string {
  return t.max === null ? `${t.min} and above` : `${t.min}–${t.max}`
}

const cycleSchema = z
  .strictObject({
    enabled: bool(false),
    quotaMultiple: decimalOr("2", nonNegative),
    weightUnit: decimalOr("1000", positive),
    referralQuotaRate: decimalOr("0", nonNegative),
    referralWeightRate: decimalOr("0", nonNegative),
    proRataPoolRate: decimalOr("0.30", rate),
    tiers: listOr(tierSchema, () =>
      DEFAULT_TIERS.map(([tierName, min, max, r]) => ({ name: tierName, min, max, rate: new Dec(r) }))
    ),
  })
  .transform((c, ctx): CycleConfig => {
    const tiers: Tier[] = c.tiers
    let ok = true
    // max ≥ min
    tiers.forEach((t, i) => {
      if (t.max !== null && t.max < t.min) {
        ok = false
        ctx.addIssue({ code: "custom", path: ["tiers", i, "max"], message: `must be at least min (${t.min})` })
      }
    })
    // tier ranges do not overlap (every pair; an unbounded max is infinity)
    if (ok) {
      for (let j = 1; j < tiers.length; j++) {
        const b = tiers[j]
        for (let i = 0; i < j; i++) {
          const a = tiers[i]
          const aHigh = a.max ?? Infinity
          const bHigh = b.max ?? Infinity
          if (a.min <= bHigh && b.min <= aHigh) {
            ok = false
            const where = b.min >= a.min && b.min <= aHigh ? "min" : "max"
            ctx.addIssue({
              code: "custom",
              path: ["tiers", j, where],
              message: `tier ranges overlap (tiers[${i}] is ${showRange(a)})`,
            })
            break
          }
        }
      }
    }
    // §3 Validation: proRataPoolRate + Σ tier rates ≤ 1
    const sum = tiers.reduce((s, t) => s.plus(t.rate), c.proRataPoolRate)
    if (sum.gt(ONE)) {
      ok = false
      ctx.addIssue({
        code: "custom",
        path: ["proRataPoolRate"],
        message: `proRataPoolRate + the sum of the tier rates must not exceed 1 (the sum is ${sum.toFixed()})`,
      })
    }
    if (!ok) return z.NEVER
    return c
  })

/** Adds an issue for every threshold that does not strictly exceed the previous one. */
function checkIncreasing(
  ctx: z.RefinementCtx,
  list: string,
  items: Array<{ threshold: Dec }>
): boolean {
  let ok = true
  for (let i = 1; i < items.length; i++) {
    if (!items[i].threshold.gt(items[i - 1].threshold)) {
      ok = false
      ctx.addIssue({
        code: "custom",
        path: [list, i, "threshold"],
        message: `thresholds must strictly increase (${list}[${i - 1}] is ${items[i - 1].threshold.toFixed()})`,
      })
    }
  }
  return ok
}

const releaseSchema = z
  .strictObject({
    enabled: bool(false),
    levels: listOr(levelSchema, () =>
      DEFAULT_LEVELS.map(([threshold, multiple]) => ({ threshold: new Dec(threshold), multiple: new Dec(multiple) }))
    ),
    dailyReleaseRate: decimalOr("0.012", rate),
    shareRates: listOr(decimal(rate), () => DEFAULT_SHARE_RATES.map((r) => new Dec(r))),
    maxShareDepth: jsonInteger(0).default(2),
    teamRewardsEnabled: bool(false),
    teamLevels: listOr(teamLevelSchema, () =>
      DEFAULT_TEAM_LEVELS.map(([levelName, threshold, r]) => ({
        name: levelName,
        threshold: new Dec(threshold),
        rate: new Dec(r),
      }))
    ),
    teamMaxDepth: nullableDepth.default(null),
    peerRate: decimalOr("0.03", rate),
    pointValue: decimalOr("1", nonNegative),
    pointsMaxShare: decimalOr("1", rate),
  })
  .transform((r, ctx): ReleaseConfig => {
    const levelsOk = checkIncreasing(ctx, "levels", r.levels)
    const teamOk = checkIncreasing(ctx, "teamLevels", r.teamLevels)
    if (!levelsOk || !teamOk) return z.NEVER
    return r
  })

const exchangeRatesSchema = z.unknown().transform((v, ctx): Record<string, Dec> => {
  if (v === undefined) return {}
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    ctx.addIssue({ code: "custom", message: `${R.object} (currency code → rate)` })
    return z.NEVER
  }
  const out: Record<string, Dec> = {}
  let ok = true
  for (const [key, value] of Object.entries(v)) {
    if (!currencyCode.test(key)) {
      ok = false
      ctx.addIssue({ code: "custom", path: [key], message: R.currency })
      continue
    }
    const d = readDecimal(value)
    const message = typeof d === "string" ? d : positive(d)
    if (message) {
      ok = false
      ctx.addIssue({ code: "custom", path: [key], message })
      continue
    }
    out[key] = d as Dec
  }
  return ok ? out : z.NEVER
})

const emptyObject = () => ({})

export const programConfigSchema = z.strictObject({
  currency: z
    .unknown()
    .transform((v, ctx): string => {
      if (typeof v !== "string" || !currencyCode.test(v)) {
        ctx.addIssue({ code: "custom", message: R.currency })
        return z.NEVER
      }
      return v
    })
    .default("CNY"),
  timezone: z
    .unknown()
    .transform((v, ctx): string => {
      if (typeof v !== "string") {
        ctx.addIssue({ code: "custom", message: `${R.string} (an IANA time zone name)` })
        return z.NEVER
      }
      if (!isTimeZone(v)) {
        ctx.addIssue({ code: "custom", message: R.timezone })
        return z.NEVER
      }
      return v
    })
    .default("Asia/Shanghai"),
  scale: jsonInteger(0, 18).default(4),
  pendingDays: jsonInteger(0).default(0),
  rewardCreditPayments: bool(false),
  exchangeRates: exchangeRatesSchema.default(() => ({})),
  creditMaxShare: decimalOr("1", rate),
  schemes: z
    .strictObject({
      growth: growthSchema.prefault(emptyObject),
      cycle: cycleSchema.prefault(emptyObject),
      release: releaseSchema.prefault(emptyObject),
    })
    .prefault(emptyObject),
})

// Compile-time check: the schema's output is exactly a ProgramConfig.
type SchemaOutput = z.output<typeof programConfigSchema>
const _outputIsConfig = (x: SchemaOutput): ProgramConfig => x
const _configIsOutput = (x: ProgramConfig): SchemaOutput => x
void _outputIsConfig
void _configIsOutput

// ---------------------------------------------------------------------------------------
// API
// ---------------------------------------------------------------------------------------

/** `["schemes","cycle","tiers",1,"min"]` → `schemes.cycle.tiers[1].min`. */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = ""
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`
    else out += out === "" ? String(seg) : `.${String(seg)}`
  }
  return out === "" ? ROOT_FIELD : out
}

function ruleOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "custom":
      return issue.message
    case "invalid_type":
      switch (issue.expected) {
        case "object":
          return R.object
        case "array":
          return R.list
        case "boolean":
          return R.boolean
        case "string":
          return R.string
        default:
          return `must be of type ${issue.expected}`
      }
    default:
      return issue.message
  }
}

function toIssues(error: z.ZodError): ConfigIssue[] {
  const out: ConfigIssue[] = []
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ field: formatPath([...issue.path, key]), rule: R.unknownKey })
    } else {
      out.push({ field: formatPath(issue.path), rule: ruleOf(issue) })
    }
  }
  return out
}

/** Parses and validates a configuration; `undefined` means `{}` (all defaults). Throws ConfigError. */
export function parseProgramConfig(input: unknown): ProgramConfig {
  const result = programConfigSchema.safeParse(input === undefined ? {} : input)
  if (!result.success) throw new ConfigError(toIssues(result.error))
  return result.data
}

/** The configuration with every default (RULES.md §2–§4 tables). */
export function defaultProgramConfig(): ProgramConfig {
  return parseProgramConfig({})
}

const str = (d: Dec): string => d.toFixed()

function withName<T extends object>(item: { name?: string }, rest: T): T & { name?: string } {
  return item.name === undefined ? rest : { name: item.name, ...rest }
}

/** Plain JSON (decimals as plain strings, every parameter explicit) that parseProgramConfig reads back equal. */
export function serializeProgramConfig(cfg: ProgramConfig): Record<string, unknown> {
  const { growth: g, cycle: c, release: r } = cfg.schemes
  const exchangeRates: Record<string, string> = {}
  for (const [code, v] of Object.entries(cfg.exchangeRates)) exchangeRates[code] = str(v)
  return {
    currency: cfg.currency,
    timezone: cfg.timezone,
    scale: cfg.scale,
    pendingDays: cfg.pendingDays,
    rewardCreditPayments: cfg.rewardCreditPayments,
    exchangeRates,
    creditMaxShare: str(cfg.creditMaxShare),
    schemes: {
      growth: {
        enabled: g.enabled,
        poolRate: str(g.poolRate),
        buyerIssueRate: str(g.buyerIssueRate),
        referrerIssueRate: str(g.referrerIssueRate),
        initialPrice: str(g.initialPrice),
        maxSupply: str(g.maxSupply),
        sellFeeRate: str(g.sellFeeRate),
        exitCapMultiple: str(g.exitCapMultiple),
        stableRate: str(g.stableRate),
      },
      cycle: {
        enabled: c.enabled,
        quotaMultiple: str(c.quotaMultiple),
        weightUnit: str(c.weightUnit),
        referralQuotaRate: str(c.referralQuotaRate),
        referralWeightRate: str(c.referralWeightRate),
        proRataPoolRate: str(c.proRataPoolRate),
        tiers: c.tiers.map((t) => withName(t, { min: t.min, max: t.max, rate: str(t.rate) })),
      },
      release: {
        enabled: r.enabled,
        levels: r.levels.map((l) => withName(l, { threshold: str(l.threshold), multiple: str(l.multiple) })),
        dailyReleaseRate: str(r.dailyReleaseRate),
        shareRates: r.shareRates.map(str),
        maxShareDepth: r.maxShareDepth,
        teamRewardsEnabled: r.teamRewardsEnabled,
        teamLevels: r.teamLevels.map((l) => withName(l, { threshold: str(l.threshold), rate: str(l.rate) })),
        teamMaxDepth: r.teamMaxDepth,
        peerRate: str(r.peerRate),
        pointValue: str(r.pointValue),
        pointsMaxShare: str(r.pointsMaxShare),
      },
    },
  }
}
