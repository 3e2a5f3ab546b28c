/**
 * Generators and a scenario driver for the property tests (tests/engine/properties.test.ts).
 *
 * A generated scenario is *abstract*: members, orders and amounts are picked by index and by
 * share ("sell 37 % of what the member holds"), so every event is valid whatever the engine's
 * state is. The driver resolves each abstract action against the engine's current state into a
 * concrete SCENARIO.md event, applies it (catching up unclosed days first, as the simulator
 * does) and records it, so a failure can print the concrete scenario document that produced it.
 */
import fc from "fast-check"
import { type LedgerRow, audit } from "../../src/engine/audit"
import { type ProgramConfig, parseProgramConfig } from "../../src/engine/config"
import { addDays, openDayOf } from "../../src/engine/days"
import { Dec, formatAtoms } from "../../src/engine/decimal"
import type { RewardsEngine } from "../../src/engine/engine"
import { RulesError } from "../../src/engine/errors"
import { SYSTEM, isMemberAccount, memberOf } from "../../src/engine/ledger"
import type { MemoryStore } from "../../src/engine/memory-store"
import { initialPriceOf } from "../../src/simulator/output"
import { memoryEngine } from "../../src/simulator/scenario"

export const FIRST_DAY = "2026-01-01"

// ---------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------

/** n × 10^-decimals as a plain decimal string ("3000", 4 → "0.3"). */
export function units(n: number | bigint, decimals: number): string {
  return formatAtoms(BigInt(n), decimals)
}

/** true three times out of four. */
const mostly = fc.integer({ min: 0, max: 3 }).map((x) => x > 0)

/** A rate with 4 decimals from an integer in [0, 10000]. */
const rateOf = (n: number) => units(n, 4)
const rate = (max = 10_000) => fc.integer({ min: 0, max }).map(rateOf)

/** An amount with 0–3 decimals in [0, max]. */
export function amountArb(max: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: 0, max }), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 3 }))
    .map(([i, f, d]) => (d === 0 ? String(i) : new Dec(i).plus(new Dec(f).div(1000)).toDecimalPlaces(d, Dec.ROUND_DOWN).toFixed()))
}

/** Order amounts: mostly small, some that reach the release levels, some large, a few zero. */
export const orderAmountArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: amountArb(400), weight: 5 },
  { arbitrary: amountArb(6000), weight: 4 },
  { arbitrary: amountArb(60_000), weight: 1 },
  { arbitrary: fc.constant("0"), weight: 1 }
)

// ---------------------------------------------------------------------------------------
// Programs (RULES.md §1.9, with every validation sum kept)
// ---------------------------------------------------------------------------------------

export type Json = Record<string, unknown>

export interface ProgramOptions {
  /** Forces a scheme on or off; random when absent. */
  growth?: boolean
  cycle?: boolean
  release?: boolean
  /** false: exitCapMultiple is 0 (no forced exits). Default random. */
  exitCap?: boolean
  /** Fixed pendingDays; default random 0..3. */
  pendingDays?: number
  /** Forces teamRewardsEnabled. */
  teamRewards?: boolean
  /** referralWeightRate restricted to whole numbers (piecewise trunc equals trunc of the sum). */
  integralReferralWeight?: boolean
  /** Forces teamMaxDepth (null = unlimited); random when absent. */
  teamMaxDepth?: number | null
}

function growthArb(o: ProgramOptions): fc.Arbitrary<Json> {
  return fc
    .record({
      enabled: o.growth === undefined ? mostly : fc.constant(o.growth),
      poolRate: fc.oneof(rate(), fc.constantFrom("0.3", "1", "0")),
      buyer: fc.integer({ min: 0, max: 10_000 }),
      referrerShare: fc.integer({ min: 0, max: 10_000 }),
      initialPrice: fc.constantFrom("1", "0.5", "2.37", "13", "0.0123"),
      maxSupply: fc.oneof({ arbitrary: fc.constant("100000000"), weight: 4 }, { arbitrary: amountArb(800), weight: 1 }),
      sellFeeRate: fc.oneof(rate(), fc.constant("0.1")),
      exitCapMultiple:
        o.exitCap === false
          ? fc.constant("0")
          : o.exitCap === true
            ? fc.constantFrom("0.3", "1", "2.5", "4")
            : fc.constantFrom("0", "0", "0.3", "1", "2.5"),
      stableRate: fc.constantFrom("1", "0", "0.9", "1.25"),
    })
    .map((g) => {
      // §2 validation: buyerIssueRate + referrerIssueRate ≤ 1
      const referrer = Math.floor(((10_000 - g.buyer) * g.referrerShare) / 10_000)
      return {
        enabled: g.enabled,
        poolRate: g.poolRate,
        buyerIssueRate: rateOf(g.buyer),
        referrerIssueRate: rateOf(referrer),
        initialPrice: g.initialPrice,
        maxSupply: g.maxSupply,
        sellFeeRate: g.sellFeeRate,
        exitCapMultiple: g.exitCapMultiple,
        stableRate: g.stableRate,
      }
    })
}

function cycleArb(o: ProgramOptions): fc.Arbitrary<Json> {
  const tierShape = fc.record({
    gap: fc.integer({ min: 0, max: 6 }),
    width: fc.integer({ min: 0, max: 12 }),
    share: fc.integer({ min: 0, max: 10_000 }),
  })
  return fc
    .record({
      enabled: o.cycle === undefined ? mostly : fc.constant(o.cycle),
      quotaMultiple: fc.constantFrom("0", "0.05", "0.2", "0.5", "1", "2", "3.25"),
      weightUnit: fc.constantFrom("1", "10", "50", "100", "333.3", "1000"),
      referralQuotaRate: fc.oneof(fc.constant("0"), rate(), fc.constantFrom("1.5")),
      referralWeightRate: o.integralReferralWeight
        ? fc.constantFrom("0", "1", "2")
        : fc.constantFrom("0", "0.5", "1", "1.5", "2", "0.3"),
      pro: fc.integer({ min: 0, max: 10_000 }),
      tiers: fc.array(tierShape, { maxLength: 3 }),
      lastUnbounded: fc.boolean(),
      reversed: fc.boolean(),
    })
    .map((c) => {
      // §3 validation: proRataPoolRate + Σ tier rates ≤ 1; ranges never overlap
      const k = c.tiers.length
      const budget = k > 0 ? Math.floor((10_000 - c.pro) / k) : 0
      let next = 0
      const tiers = c.tiers.map((t, i) => {
        const min = next + t.gap
        const max = i === k - 1 && c.lastUnbounded ? null : min + t.width
        next = (max ?? min) + 1
        return { name: `T${i}`, min, max, rate: rateOf(Math.floor((budget * t.share) / 10_000)) }
      })
      if (c.reversed) tiers.reverse()
      return {
        enabled: c.enabled,
        quotaMultiple: c.quotaMultiple,
        weightUnit: c.weightUnit,
        referralQuotaRate: c.referralQuotaRate,
        referralWeightRate: c.referralWeightRate,
        proRataPoolRate: rateOf(c.pro),
        tiers,
      }
    })
}

/** Team levels with low thresholds so that stars are actually reached. */
export function teamLevelsArb(maxStep = 1500): fc.Arbitrary<Json[]> {
  return fc
    .record({
      // a first threshold of 0 gives every member, even one without downline, a star
      first: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 })),
      steps: fc.array(fc.integer({ min: 1, max: maxStep }), { minLength: 0, maxLength: 4 }),
      rates: fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 5, maxLength: 5 }),
      sorted: fc.integer({ min: 0, max: 9 }),
    })
    .map((t) => {
      const n = t.steps.length + 1
      const rates = t.rates.slice(0, n)
      // mostly increasing rates (the original's table); sometimes any order (§1.9 allows it)
      if (t.sorted < 7) rates.sort((a, b) => a - b)
      let threshold = t.first
      return rates.map((r, i) => {
        if (i > 0) threshold += t.steps[i - 1]
        return { name: `${i + 1}★`, threshold: String(threshold), rate: rateOf(r) }
      })
    })
}

function levelsArb(): fc.Arbitrary<Json[]> {
  return fc
    .record({
      first: fc.integer({ min: 1, max: 500 }),
      steps: fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 3 }),
      multiples: fc.array(fc.constantFrom("0", "1", "2.5", "3", "3.5", "4", "1.2345"), { minLength: 4, maxLength: 4 }),
      decimalFirst: fc.boolean(),
      empty: fc.integer({ min: 0, max: 9 }),
    })
    .map((l) => {
      if (l.empty === 0) return []
      let threshold = new Dec(l.first).plus(l.decimalFirst ? "0.5" : "0")
      return [0, ...l.steps].map((step, i) => {
        threshold = threshold.plus(step)
        return { threshold: threshold.toFixed(), multiple: l.multiples[i] }
      })
    })
}

function releaseArb(o: ProgramOptions): fc.Arbitrary<Json> {
  return fc.record({
    enabled: o.release === undefined ? mostly : fc.constant(o.release),
    levels: levelsArb(),
    dailyReleaseRate: fc.oneof(rate(2000), fc.constantFrom("0.012", "0.5", "1", "0")),
    shareRates: fc.array(rate(), { maxLength: 3 }),
    maxShareDepth: fc.integer({ min: 0, max: 4 }),
    teamRewardsEnabled: o.teamRewards === undefined ? mostly : fc.constant(o.teamRewards),
    teamLevels: teamLevelsArb(),
    teamMaxDepth: o.teamMaxDepth !== undefined ? fc.constant(o.teamMaxDepth) : fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
    peerRate: fc.oneof(rate(), fc.constant("0.03")),
  })
}

export function programArb(o: ProgramOptions = {}): fc.Arbitrary<Json> {
  return fc.record({
    currency: fc.constant("CNY"),
    scale: fc.integer({ min: 2, max: 6 }),
    pendingDays: o.pendingDays === undefined ? fc.integer({ min: 0, max: 3 }) : fc.constant(o.pendingDays),
    schemes: fc.record({ growth: growthArb(o), cycle: cycleArb(o), release: releaseArb(o) }),
  })
}

// ---------------------------------------------------------------------------------------
// Referral forests and actions
// ---------------------------------------------------------------------------------------

/**
 * A referral forest: a chain c0 → c1 → … (each refers the next) and tree members t0, t1, …
 * whose referrer is picked among all earlier members (null: a root).
 */
export interface ForestSpec {
  chain: number
  tree: (number | null)[]
}

export function forestArb(maxChain: number, maxTree: number): fc.Arbitrary<ForestSpec> {
  return fc.record({
    chain: fc.integer({ min: 0, max: maxChain }),
    tree: fc.array(fc.option(fc.nat(), { nil: null, freq: 5 }), { maxLength: maxTree, size: "max" }),
  })
}

/** [member, referrer] in a valid join order (referrers first). */
export function forestMembers(f: ForestSpec): [string, string | null][] {
  const out: [string, string | null][] = []
  for (let i = 0; i < f.chain; i++) out.push([`c${i}`, i === 0 ? null : `c${i - 1}`])
  f.tree.forEach((pick, i) => {
    const referrer = pick === null || out.length === 0 ? null : out[pick % out.length][0]
    out.push([`t${i}`, referrer])
  })
  return out
}

export type AdjustAsset = "CREDIT" | "POINTS" | "QUOTA" | "WEIGHT" | "GROWTH"

export type Action =
  | { t: "join"; parent: number | null }
  | { t: "order"; who: number; amount: string }
  /** part: per mille of what is still unrefunded; null: everything left (no amount). */
  | { t: "refund"; which: number; part: number | null }
  | { t: "sell" | "convert"; who: number; part: number }
  | { t: "adjust"; who: number; asset: AdjustAsset; up: boolean; part: number; amount: string }
  | { t: "close" }
  | { t: "advance"; days: number }

const perMille = fc.integer({ min: 0, max: 1000 })

export interface ActionOptions {
  joins?: boolean
  /** Relative weights of the action kinds (defaults below). */
  weights?: Partial<Record<Action["t"], number>>
  amounts?: fc.Arbitrary<string>
}

export function actionArb(o: ActionOptions = {}): fc.Arbitrary<Action> {
  const w = { order: 30, refund: 10, sell: 5, adjust: 6, close: 10, advance: 3, join: 4, ...o.weights }
  const arbs: fc.WeightedArbitrary<Action>[] = [
    { weight: w.order, arbitrary: fc.record({ t: fc.constant("order" as const), who: fc.nat(), amount: o.amounts ?? orderAmountArb }) },
    { weight: w.refund, arbitrary: fc.record({ t: fc.constant("refund" as const), which: fc.nat(), part: fc.option(perMille, { nil: null }) }) },
    { weight: w.sell, arbitrary: fc.record({ t: fc.constantFrom("sell" as const, "convert" as const), who: fc.nat(), part: perMille }) },
    {
      weight: w.adjust,
      arbitrary: fc.record({
        t: fc.constant("adjust" as const),
        who: fc.nat(),
        asset: fc.constantFrom<AdjustAsset>("CREDIT", "POINTS", "QUOTA", "WEIGHT", "GROWTH"),
        up: fc.boolean(),
        part: perMille,
        amount: amountArb(500),
      }),
    },
    { weight: w.close, arbitrary: fc.constant({ t: "close" as const }) },
    { weight: w.advance, arbitrary: fc.record({ t: fc.constant("advance" as const), days: fc.integer({ min: 1, max: 3 }) }) },
  ]
  if (o.joins !== false) {
    arbs.push({ weight: w.join, arbitrary: fc.record({ t: fc.constant("join" as const), parent: fc.option(fc.nat(), { nil: null, freq: 4 }) }) })
  }
  return fc.oneof(...arbs)
}

export interface ScenarioSpec {
  program: Json
  forest: ForestSpec
  actions: Action[]
}

export function scenarioArb(
  p: ProgramOptions = {},
  sizes: { maxChain?: number; maxTree?: number; maxActions?: number; joins?: boolean } = {}
): fc.Arbitrary<ScenarioSpec> {
  return fc.record({
    program: programArb(p),
    forest: forestArb(sizes.maxChain ?? 40, sizes.maxTree ?? 25),
    actions: fc.array(actionArb({ joins: sizes.joins }), { maxLength: sizes.maxActions ?? 60, size: "max" }),
  })
}

/**
 * A topological order of a forest other than the join order: among the members whose referrer
 * is already placed, the one with the highest random key goes next.
 */
export function topologicalOrder(members: [string, string | null][], keys: number[]): [string, string | null][] {
  const placed = new Set<string>()
  const left = members.map((m, i) => ({ m, key: keys[i % Math.max(1, keys.length)] ?? 0, i }))
  const out: [string, string | null][] = []
  while (left.length > 0) {
    let best = -1
    for (let j = 0; j < left.length; j++) {
      const ref = left[j].m[1]
      if (ref !== null && !placed.has(ref)) continue
      if (best < 0 || left[j].key > left[best].key) best = j
    }
    const [{ m }] = left.splice(best, 1)
    placed.add(m[0])
    out.push(m)
  }
  return out
}

// ---------------------------------------------------------------------------------------
// The driver
// ---------------------------------------------------------------------------------------

export type ScenarioEventJson = Record<string, unknown> & { type: string; day: string }

export interface Step {
  /** "event": after a non-closing event was applied; "close": after one day was closed. */
  kind: "event" | "close"
  day: string
  event: ScenarioEventJson | null
}

export interface Hooks {
  /** Before each day close (catch-up closes included). */
  beforeClose?: (sim: Sim, day: string) => void | Promise<void>
  /** After every event and after every day close. */
  afterStep?: (sim: Sim, step: Step) => void | Promise<void>
}

/** A failure with the concrete scenario document that led to it. */
export class ScenarioFailure extends Error {}

export class Sim {
  readonly engine: RewardsEngine
  readonly store: MemoryStore
  readonly program: ProgramConfig
  readonly initialPrice: Dec
  readonly events: ScenarioEventJson[] = []
  day = FIRST_DAY
  readonly members: string[] = []
  readonly orders: string[] = []
  private joins = 0

  constructor(
    readonly programJson: Json,
    readonly hooks: Hooks = {}
  ) {
    this.program = parseProgramConfig(programJson)
    const { engine, store } = memoryEngine(this.program)
    this.engine = engine
    this.store = store
    this.initialPrice = initialPriceOf(this.program)
  }

  get scale(): number {
    return this.program.scale
  }

  /** The scenario document so far (SCENARIO.md input). */
  doc(): { program: Json; events: ScenarioEventJson[] } {
    return { program: this.programJson, events: this.events }
  }

  /** The document as text: one event per line, for failure messages. */
  describe(): string {
    let lines = this.events.map((e) => JSON.stringify(e))
    if (lines.length > 400) {
      // deep-chain documents: the counterexample's parameters regenerate them
      lines = [...lines.slice(0, 60), `"… ${lines.length - 120} events left out …"`, ...lines.slice(-60)]
    }
    return `{"program": ${JSON.stringify(this.programJson)},\n "events": [\n  ${lines.join(",\n  ")}\n]}`
  }

  fail(message: string): never {
    throw new ScenarioFailure(`${message}\n--- scenario (SCENARIO.md) ---\n${this.describe()}`)
  }

  async closeOne(day: string): Promise<void> {
    await this.hooks.beforeClose?.(this, day)
    const closed = await this.engine.closeDay(day)
    if (!closed) this.fail(`closeDay(${day}) returned false for an open day`)
    await this.hooks.afterStep?.(this, { kind: "close", day, event: null })
  }

  /** Transfers committed since position `from` (the ledger is append-only). */
  transfersSince(from: number): LedgerRow[] {
    const out: LedgerRow[] = []
    let i = 0
    for (const row of this.store.transfers()) if (i++ >= from) out.push(row)
    return out
  }

  /** Closes every unclosed day before `day` (RULES.md §1.3 catch-up), one by one. */
  async catchUpTo(day: string): Promise<void> {
    for (;;) {
      const open = openDayOf(this.store.programNow())
      if (open === null || open >= day) return
      await this.closeOne(open)
    }
  }

  /** Applies a concrete event as the simulator does (SCENARIO.md) and records it. */
  async apply(ev: ScenarioEventJson): Promise<void> {
    this.events.push(ev)
    await this.catchUpTo(ev.day)
    if (ev.type === "closeDay") {
      // SCENARIO.md: closeDay D closes every unclosed day up to and including D
      await this.closeOne(ev.day)
      return
    }
    try {
      await this.applyOnly(ev)
    } catch (e) {
      if (e instanceof RulesError) this.fail(`the engine rejected a valid event (${e.code}): ${e.message}`)
      throw e
    }
    await this.hooks.afterStep?.(this, { kind: "event", day: ev.day, event: ev })
  }

  private async applyOnly(ev: ScenarioEventJson): Promise<void> {
    const e = this.engine
    const day = ev.day
    const dec = (v: unknown) => new Dec(v as string)
    switch (ev.type) {
      case "join":
        await e.join({ memberId: ev.member as string, referrerId: (ev.referrer as string | null) ?? null, day })
        this.members.push(ev.member as string)
        return
      case "order":
        await e.placeOrder({ orderId: ev.id as string, memberId: ev.member as string, amount: dec(ev.amount), day })
        this.orders.push(ev.id as string)
        return
      case "refund":
        await e.refund({
          orderId: ev.order as string,
          ...(ev.amount === undefined ? {} : { amount: dec(ev.amount) }),
          ...(ev.refundId === undefined ? {} : { refundId: ev.refundId as string }),
          day,
        })
        return
      case "sell":
        await e.sell({ memberId: ev.member as string, points: dec(ev.points), day })
        return
      case "convert":
        await e.convert({ memberId: ev.member as string, points: dec(ev.points), day })
        return
      case "adjust":
        await e.adjust({ memberId: ev.member as string, asset: ev.asset as AdjustAsset, amount: dec(ev.amount), reason: ev.reason as string, day })
        return
    }
    throw new Error(`unknown event ${ev.type}`)
  }

  async joinForest(f: ForestSpec | [string, string | null][]): Promise<void> {
    const list = Array.isArray(f) ? f : forestMembers(f)
    for (const [member, referrer] of list) await this.apply({ type: "join", day: this.day, member, referrer })
  }

  /** Resolves an abstract action against the current state; null when it does not apply. */
  async resolve(a: Action): Promise<ScenarioEventJson | null> {
    const day = this.day
    const s = this.program.schemes
    const pick = (i: number) => this.members[i % this.members.length]
    switch (a.t) {
      case "join": {
        const member = `j${this.joins++}`
        const referrer = a.parent === null || this.members.length === 0 ? null : pick(a.parent)
        return { type: "join", day, member, referrer }
      }
      case "order":
        if (this.members.length === 0) return null
        return { type: "order", day, id: `o${this.orders.length}`, member: pick(a.who), amount: a.amount }
      case "refund": {
        if (this.orders.length === 0) return null
        const id = this.orders[a.which % this.orders.length]
        const o = (await this.store.getOrder(id))!
        if (a.part === null) return { type: "refund", day, order: id }
        const left = o.amount.minus(o.refundedBefore).minus(o.refundedAfter)
        const amount = left.times(a.part).div(1000).toDecimalPlaces(5, Dec.ROUND_DOWN)
        return { type: "refund", day, order: id, amount: amount.toFixed() }
      }
      case "sell":
      case "convert": {
        if (!s.growth.enabled || this.members.length === 0) return null
        // a member who holds growth points, when there is one
        const holders = this.members.filter((m) => this.store.memberBalancesNow(m).GROWTH > 0n)
        const member = holders.length > 0 ? holders[a.who % holders.length] : pick(a.who)
        const held = this.store.memberBalancesNow(member).GROWTH
        return { type: a.t, day, member, points: units((held * BigInt(a.part)) / 1000n, this.scale) }
      }
      case "adjust": {
        if (this.members.length === 0) return null
        const member = pick(a.who)
        const enabled: Record<AdjustAsset, boolean> = {
          CREDIT: true,
          POINTS: s.release.enabled,
          QUOTA: s.cycle.enabled,
          WEIGHT: s.cycle.enabled,
          GROWTH: s.growth.enabled,
        }
        const asset: AdjustAsset = enabled[a.asset] ? a.asset : "CREDIT"
        const base = { type: "adjust", day, member, asset, reason: "property test" }
        if (asset === "WEIGHT") return { ...base, amount: String(((a.up ? 1 : -1) * a.part) % 7) }
        const held = this.store.memberBalancesNow(member)[asset]
        let up = a.up
        const wanted = BigInt(new Dec(a.amount).toDecimalPlaces(this.scale, Dec.ROUND_DOWN).toFixed(this.scale).replace(".", ""))
        if (asset === "GROWTH" && up) {
          // §5: a positive GROWTH adjustment needs a growth pool and room under maxSupply
          const pool = this.store.systemBalanceNow(SYSTEM.growthPool, "MONEY")
          const issued = -this.store.systemBalanceNow(SYSTEM.issuance, "GROWTH")
          const cap = BigInt(s.growth.maxSupply.toDecimalPlaces(this.scale, Dec.ROUND_DOWN).toFixed(this.scale).replace(".", ""))
          if (pool === 0n || issued + wanted > cap) up = false
        }
        if (up) return { ...base, amount: units(wanted, this.scale) }
        return { ...base, amount: units(-((held * BigInt(a.part)) / 1000n), this.scale) }
      }
      case "close":
        return { type: "closeDay", day }
      case "advance":
        return null
    }
  }

  /** Resolves and applies one action; moves the current day after a close or an advance. */
  async act(a: Action): Promise<void> {
    if (a.t === "advance") {
      this.day = addDays(this.day, a.days)
      return
    }
    // earlier days close first (forced exits, releases), so the action sees the state it applies to
    await guard(this, () => this.catchUpTo(this.day))
    const ev = await this.resolve(a)
    if (ev) await this.apply(ev)
    if (a.t === "close") this.day = addDays(this.day, 1)
  }

  async closeToday(): Promise<void> {
    await this.apply({ type: "closeDay", day: this.day })
    this.day = addDays(this.day, 1)
  }
}

/** Runs a generated scenario: the forest joins on the first day, then the actions, then a close. */
export async function runSpec(spec: ScenarioSpec, hooks: Hooks = {}, opts: { finalClose?: boolean } = {}): Promise<Sim> {
  const sim = new Sim(spec.program, hooks)
  await guard(sim, async () => {
    await sim.joinForest(spec.forest)
    for (const a of spec.actions) await sim.act(a)
    if (opts.finalClose !== false) await sim.closeToday()
  })
  return sim
}

/** Runs `fn`; any failure other than a ScenarioFailure gets the scenario document appended. */
export async function guard<T>(sim: Sim, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (e) {
    if (e instanceof ScenarioFailure) throw e
    const message = e instanceof Error ? e.message : String(e)
    throw new ScenarioFailure(`${message}\n--- scenario (SCENARIO.md) ---\n${sim.describe()}`)
  }
}

// ---------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------

/** Bigints and decimals as strings, so snapshots compare with toEqual and print readably. */
export function plain(v: unknown): unknown {
  if (typeof v === "bigint") return `${v}n`
  if (Dec.isDecimal(v)) return (v as Dec).toFixed()
  if (Array.isArray(v)) return v.map(plain)
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, plain(x)]))
  }
  return v
}

export interface Snapshot {
  members: Record<string, unknown>
  balances: Record<string, unknown>
  system: Record<string, string>
  tranches: unknown[]
  reports: unknown[]
  program: unknown
  transfers: number
}

/** Everything observable in a store. `withSeq: false` drops the join order from member records. */
export async function snapshot(store: MemoryStore, opts: { withSeq?: boolean } = {}): Promise<Snapshot> {
  const members: Record<string, unknown> = {}
  const balances: Record<string, unknown> = {}
  for (const m of store.allMembers()) {
    const { seq, ...rest } = m
    members[m.id] = plain(opts.withSeq === false ? rest : { seq, ...rest })
    balances[m.id] = plain(store.memberBalancesNow(m.id))
  }
  const system: Record<string, string> = {}
  for (const { account, asset, balance } of store.cachedBalances()) {
    if (!isMemberAccount(account)) system[`${account}|${asset}`] = balance.toString()
    else if (!(memberOf(account) in balances)) balances[memberOf(account)] = `orphan ${asset} ${balance}`
  }
  const tranches = [...store.allTranches()]
    .map((t) => plain(t) as Record<string, unknown>)
    .sort((a, b) => String(a.orderId).localeCompare(String(b.orderId)))
  return {
    members,
    balances,
    system,
    tranches,
    reports: plain(await store.getDayReports()) as unknown[],
    program: plain(store.programNow()),
    transfers: store.transferCount(),
  }
}

/** The audit of RULES.md §1.8 as a failure message, or null when it is ok. */
export function auditProblems(sim: Sim): string | null {
  const result = audit(sim.store, sim.initialPrice)
  if (result.ok) return null
  return result.violations.map((v) => `invariant ${v.invariant}: ${v.message}`).join("\n")
}
