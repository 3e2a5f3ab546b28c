/**
 * The result of `npm run bench:orders` (assembled by bench/orders.ts from its two Medusa
 * processes) and its printed report: the figures, the issue's targets met or not, and the
 * SQL trace of one award.
 */
import type { DepthClass } from "./orders-checkout"
import type { TraceResult } from "./orders-plugin-body"
import type { SeedResult } from "./orders-seed"

export type Mode = "without" | "with"

export interface OrderSample {
  /** position in the run (buyer index) */
  n: number
  warmup: boolean
  /** checked out by Medusa without the plugin, or by the app with the plugin */
  mode: Mode
  depth: DepthClass
  orderId: string
  /** completeCartWorkflow run(), ms */
  complete: number
  /**
   * the award workflow, ms: with, run by the plugin's subscriber (the figures kept when the cart
   * completed); without, run explicitly on an order whose cart completed without the plugin
   * (no kept figures: the order is read back)
   */
  award: number
  /** with: from the start of the completion until the rewards are recorded, ms */
  untilAwarded: number | null
  /** with: when the subscriber started, ms after completeCartWorkflow's run() returned */
  subscriberStart: number | null
  /** without: the award workflow's steps (explicit run), ms */
  steps: Record<string, number> | null
}

export interface BenchResult {
  params: { members: number; chain: number; orders: number; block: number; warmup: number }
  environment: { postgres: string; postgresSource: string; sharedBuffers: string; node: string; cpus: string }
  seed: SeedResult & { setupMaxRssMb?: number }
  timings: Record<string, number>
  /** 1-minute load average, sampled every 5 s during the orders */
  load: { mean: number; max: number; cpus: number }
  buyerDepths: { shallow: number[]; deep: number[] }
  samples: OrderSample[]
  checks: Record<string, number | string | boolean>
  trace: TraceResult
}

export const TARGETS = {
  /** award p99, ms */
  awardP99Ms: 50,
  /** the plugin's added share of cart completion time */
  completionOverhead: 0.1,
  /** "independent of depth": deep p50 within max(1 ms, 10 %) of shallow p50, and the same SQL */
  depthToleranceMs: 1,
  depthToleranceShare: 0.1,
}

export interface Stats {
  n: number
  min: number
  p50: number
  p99: number
  mean: number
  max: number
}

/** Nearest-rank percentiles. */
export function stats(values: number[]): Stats {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  const n = s.length
  if (n === 0) return { n, min: NaN, p50: NaN, p99: NaN, mean: NaN, max: NaN }
  const rank = (p: number) => s[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))]
  return { n, min: s[0], p50: rank(0.5), p99: rank(0.99), mean: s.reduce((a, b) => a + b, 0) / n, max: s[n - 1] }
}

const int = (n: number) => n.toLocaleString("en-US")
const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : "—")
const pct = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? "+" : ""}${(v * 100).toFixed(1)} %` : "—")
const signed = (v: number, digits = 1) => `${v >= 0 ? "+" : ""}${v.toFixed(digits)}`

export interface Verdict {
  awardP99: boolean
  depthIndependent: boolean
  completionOverhead: boolean
}

export function renderReport(r: BenchResult, options: { wallSeconds?: number; verbose?: boolean } = {}): { text: string; verdict: Verdict } {
  const measured = r.samples.filter((s) => !s.warmup)
  type Key = "complete" | "award" | "untilAwarded" | "subscriberStart"
  const pick = (f: (s: OrderSample) => boolean, k: Key) => stats(measured.filter(f).map((s) => s[k] ?? NaN))
  // the award as production runs it: the cart completed with the plugin, whose subscriber awards the order
  const awardShallow = pick((s) => s.mode === "with" && s.depth === "shallow", "award")
  const awardDeep = pick((s) => s.mode === "with" && s.depth === "deep", "award")
  const awardAll = pick((s) => s.mode === "with", "award")
  // orders whose carts completed without the plugin: the award reads the order back
  const readBackShallow = pick((s) => s.mode === "without" && s.depth === "shallow", "award")
  const readBackDeep = pick((s) => s.mode === "without" && s.depth === "deep", "award")
  const without = pick((s) => s.mode === "without", "complete")
  const withPlugin = pick((s) => s.mode === "with", "complete")
  const until = pick((s) => s.mode === "with", "untilAwarded")
  const subscriberStart = pick((s) => s.mode === "with", "subscriberStart")
  const stepNames = [...new Set(measured.flatMap((s) => Object.keys(s.steps ?? {})))]
  const stepStats = stepNames.map((name) => ({ name, s: stats(measured.map((x) => x.steps?.[name] ?? NaN)) }))

  const overhead50 = withPlugin.p50 / without.p50 - 1
  const overheadMean = withPlugin.mean / without.mean - 1
  const overhead99 = withPlugin.p99 / without.p99 - 1
  const untilOverhead = until.p50 / without.p50 - 1
  const depthDiff = awardDeep.p50 - awardShallow.p50
  const depthTolerance = Math.max(TARGETS.depthToleranceMs, TARGETS.depthToleranceShare * awardShallow.p50)
  const traceShallow = r.trace.awards.find((t) => t.depth === "shallow")
  const traceDeep = r.trace.awards.find((t) => t.depth === "deep")
  const sameStatements = !!traceShallow && !!traceDeep && traceShallow.statements === traceDeep.statements

  const verdict: Verdict = {
    awardP99: awardShallow.p99 <= TARGETS.awardP99Ms && awardDeep.p99 <= TARGETS.awardP99Ms,
    depthIndependent: Math.abs(depthDiff) <= depthTolerance && sameStatements,
    completionOverhead: overhead50 <= TARGETS.completionOverhead,
  }

  const seed = r.seed
  const shallowDepths = r.buyerDepths.shallow.join(", ")
  const deepDepths = r.buyerDepths.deep.join(", ")
  const lines: string[] = []
  const W = 58
  const header = () =>
    lines.push(`  ${"".padEnd(W)}${"p50".padStart(10)}${"p99".padStart(11)}${"mean".padStart(11)}${"min".padStart(10)}${"n".padStart(7)}`)
  const row = (label: string, s: Stats) =>
    lines.push(
      `  ${label.padEnd(W)}${ms(s.p50).padStart(10)}${ms(s.p99).padStart(11)}${ms(s.mean).padStart(11)}${ms(s.min).padStart(10)}${int(s.n).padStart(7)}`
    )

  lines.push("", "medusa-rewards · npm run bench:orders", "")
  lines.push(`  ${r.environment.postgres} (${r.environment.postgresSource}), shared_buffers ${r.environment.sharedBuffers}; Node ${r.environment.node}; ${r.environment.cpus}`)
  lines.push(
    `  machine load during the orders: 1-min load average mean ${r.load.mean.toFixed(1)}, max ${r.load.max.toFixed(1)} on ${r.load.cpus} CPUs` +
      (r.load.mean > r.load.cpus ? " (other work was running: absolute times are inflated; the interleaving keeps the comparisons fair)" : "")
  )
  lines.push("")
  lines.push(`  members            ${int(seed.members)} before the run: a random forest of ${int(seed.forest)} (${int(seed.roots)} roots, depth ≤ ${seed.forestDepth}) + one chain`)
  const h = seed.history
  lines.push(
    `                     history: ${int(h.events)} inbox events (every join, every past order), ${int(h.orders)} past orders,` +
      ` ${int(h.batches)} ledger batches, ${int(h.transfers)} transfers, ${int(seed.balances)} balances`
  )
  lines.push(
    `                     seeded with set-based SQL in ${(seed.timings.members + seed.timings.history + seed.timings.indexes + seed.timings.analyze).toFixed(1)} s` +
      ` (members ${seed.timings.members} s, history ${seed.timings.history} s, indexes ${seed.timings.indexes} s, vacuum analyze ${seed.timings.analyze} s)` +
      (seed.setupMaxRssMb ? `; Node peak RSS ${seed.setupMaxRssMb} MB (the rows never pass through Node)` : "")
  )
  lines.push(`                     sizes: ${Object.entries(seed.tableSizes).map(([k, v]) => `${k} ${v}`).join(", ")}`)
  lines.push(`  chain depth        ${int(seed.chain)}: deep buyers are referred by its end (depth ${deepDepths}), shallow buyers by a root (depth ${shallowDepths})`)
  lines.push(
    `  orders             ${int(measured.length)} measured (+${r.params.warmup} warm-up): real checkouts, one new customer each, half shallow half deep;` +
      ` blocks of ${r.params.block}, without/with/with/without …; shallow and deep alternate and swap places every round`
  )
  lines.push(`    without plugin   checked out by a second Medusa process with Medusa's defaults only (no rewards module, no plugin code), same database;`)
  lines.push(`                     then awarded by awardOrderWorkflow(container).run() as the subscriber runs it, one after another, in the plugin's process;`)
  lines.push(`                     no figures were kept at their checkout, so the award reads each order back through the Order Module`)
  lines.push(`    with plugin      checked out by the repository's app (root medusa-config.ts, src/): the validate hook keeps the cart's figures,`)
  lines.push(`                     its order.placed subscriber awards the order (production's path); the next checkout waits for it`)
  lines.push("")
  header()
  row(`award, shallow buyers (depth ${shallowDepths})`, awardShallow)
  row(`award, deep buyers (depth ${deepDepths})`, awardDeep)
  row(`award, all checkouts with the plugin`, awardAll)
  row(`award reading the order back, shallow`, readBackShallow)
  row(`award reading the order back, deep`, readBackDeep)
  for (const { name, s } of stepStats) row(`  its step ${name}`, s)
  row(`cart completion without the plugin`, without)
  row(`cart completion with the plugin`, withPlugin)
  row(`  with the plugin, until the rewards are recorded`, until)
  row(`  subscriber start after completion returned (− = before)`, subscriberStart)
  lines.push("")
  lines.push(
    `  plugin overhead on cart completion: p50 ${pct(overhead50)}, mean ${pct(overheadMean)}, p99 ${pct(overhead99)};` +
      ` until the rewards are recorded: p50 ${pct(untilOverhead)}`
  )
  if (traceShallow && traceDeep) {
    lines.push(
      `  SQL of one award (traced): shallow ${traceShallow.statements} statements (${traceShallow.rewardsStatements} on rewards tables),` +
        ` ${traceShallow.sqlMs.toFixed(1)} of ${traceShallow.totalMs.toFixed(1)} ms waiting on SQL;` +
        ` deep ${traceDeep.statements} statements (${traceDeep.rewardsStatements}), ${traceDeep.sqlMs.toFixed(1)} of ${traceDeep.totalMs.toFixed(1)} ms`
    )
  }
  const flagged = r.trace.explain.filter((e) => e.seqScans.length > 0)
  lines.push(
    `  EXPLAIN ANALYZE of the ${r.trace.explain.length} distinct rewards-table statements of a deep buyer's award: ` +
      (flagged.length === 0 ? "no sequential scan of a rewards table" : `${flagged.length} with a sequential scan of a rewards table (below)`)
  )
  lines.push("")
  lines.push("  targets")
  const mark = (ok: boolean) => (ok ? "[met]    " : "[NOT MET]")
  lines.push(
    `  ${mark(verdict.awardP99)} award p99 ≤ ${TARGETS.awardP99Ms} ms: shallow ${ms(awardShallow.p99)}, deep ${ms(awardDeep.p99)}` +
      ` (reading the order back, for carts completed without the plugin: shallow ${ms(readBackShallow.p99)}, deep ${ms(readBackDeep.p99)})`
  )
  lines.push(
    `  ${mark(verdict.depthIndependent)} award independent of referral depth (1 vs ${deepDepths}): deep − shallow p50 ${signed(depthDiff, 2)} ms` +
      ` (tolerance ±${depthTolerance.toFixed(2)} ms), p99 ${signed(awardDeep.p99 - awardShallow.p99)} ms;` +
      ` same SQL statements: ${sameStatements ? `yes (${traceDeep!.statements})` : "no"}`
  )
  lines.push(
    `  ${mark(verdict.completionOverhead)} the plugin adds ≤ ${TARGETS.completionOverhead * 100} % to cart completion: ${pct(overhead50)} at p50` +
      ` (${ms(without.p50)} → ${ms(withPlugin.p50)})`
  )
  lines.push("")
  const t = r.timings
  lines.push(
    `  run: migrate ${t.migrate} s, seed ${t.seed} s, store ${t.store} s, buyers ${t.buyers} s, orders ${t.orders} s` +
      ` (cart preparation ${t.cartPreparation} s)` +
      (options.wallSeconds ? `; ${options.wallSeconds.toFixed(0)} s in all` : "")
  )
  lines.push(`  checks: ${Object.entries(r.checks).map(([k, v]) => `${k} ${v}`).join(", ")}`)

  const show = options.verbose ? r.trace.explain : flagged
  if (show.length > 0) {
    lines.push("", "  rewards-table statements of one deep buyer's award (calls, ms in the traced run) and their EXPLAIN (ANALYZE, BUFFERS):")
    for (const e of show) {
      lines.push("", `  -- ${e.calls}×, ${e.ms} ms: ${e.sql.length > 400 ? `${e.sql.slice(0, 400)}…` : e.sql}`)
      for (const p of e.plan) lines.push(`     ${p}`)
    }
  }
  lines.push("")
  return { text: lines.join("\n"), verdict }
}
