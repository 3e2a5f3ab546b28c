/**
 * Property-based tests of the rules engine (RULES.md §1.3–§6) over random scenarios of all
 * three schemes: random programs (every §1.9 validation sum kept), random referral forests with
 * deep chains, and random joins, orders, partial and full refunds, sell-backs, conversions,
 * admin adjustments, day closes and skipped days.
 *
 * Scenarios are generated abstractly and resolved against the engine's state into SCENARIO.md
 * events (tests/engine/arbitraries.ts); a failure prints fast-check's counterexample and the
 * concrete scenario document, which `medusa-rewards simulate` reads as it is.
 *
 * Property 7 checks the engine's bottom-up release pass (src/engine/team.ts) against a naive
 * walk written here straight from RULES.md §4.2–4.6.
 */
import fc from "fast-check"
import { audit } from "../../src/engine/audit"
import { Dec } from "../../src/engine/decimal"
import { RulesError } from "../../src/engine/errors"
import { SYSTEM, keys, memberOf } from "../../src/engine/ledger"
import type { DayReport } from "../../src/engine/store"
import { renderOutput } from "../../src/simulator/output"
import { parseScenario, runScenario } from "../../src/simulator/scenario"
import { normalise } from "../helpers"
import {
  type Json,
  type ScenarioEventJson,
  type ScenarioSpec,
  type Snapshot,
  type Step,
  Sim,
  actionArb,
  amountArb,
  auditProblems,
  forestArb,
  forestMembers,
  guard,
  plain,
  programArb,
  runSpec,
  scenarioArb,
  snapshot,
  teamLevelsArb,
  topologicalOrder,
  units,
} from "./arbitraries"

jest.setTimeout(600_000)

/** PROPERTY_RUNS=10 runs every property ten times as often (longer, deeper searches). */
const FACTOR = Number(process.env.PROPERTY_RUNS ?? "1")
const runs = (n: number) => ({ numRuns: Math.max(1, Math.round(n * FACTOR)) })

const stepName = (s: Step) => (s.kind === "close" ? `the close of ${s.day}` : `event ${JSON.stringify(s.event)}`)

/** A handful of members often (pools and supplies run dry), chains of a few hundred now and then. */
const mixedForest = fc.oneof(
  { weight: 3, arbitrary: forestArb(3, 3) },
  { weight: 4, arbitrary: forestArb(30, 25) },
  {
    weight: 1,
    arbitrary: fc.record({
      chain: fc.integer({ min: 150, max: 300 }),
      tree: fc.array(fc.option(fc.nat(), { nil: null, freq: 5 }), { maxLength: 30, size: "max" }),
    }),
  }
)

function mixedScenarioArb(maxActions: number): fc.Arbitrary<ScenarioSpec> {
  return fc.record({
    program: programArb(),
    forest: mixedForest,
    actions: fc.array(actionArb(), { maxLength: maxActions, size: "max" }),
  })
}

function reportOf(reports: DayReport[], day: string): DayReport {
  const r = reports.find((x) => x.day === day)
  if (!r) throw new Error(`no report for ${day}`)
  return r
}

/** Snapshot fields that must not depend on how a result was reached (not the transfer count). */
function state(s: Snapshot): Omit<Snapshot, "transfers"> {
  const { transfers: _t, ...rest } = s
  return rest
}

/**
 * The same, where the growth price is a function of the state: with no growth point left the
 * price is "its last value" (RULES.md §2.1), which depends on the path, so it is left out then.
 */
function pathFreeState(s: Snapshot): unknown {
  const issued = -BigInt(s.system[`${SYSTEM.issuance}|GROWTH`] ?? "0")
  const burned = BigInt(s.system[`${SYSTEM.burned}|GROWTH`] ?? "0")
  if (issued - burned > 0n) return state(s)
  const { growthPrice: _p, ...program } = s.program as Record<string, unknown>
  return { ...state(s), program }
}

/** The first difference between two plain values (object key order ignored), or null. */
function diff(a: unknown, b: unknown, path = ""): string | null {
  const isObj = (v: unknown) => v !== null && typeof v === "object"
  if (isObj(a) && isObj(b) && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a) && a.length !== (b as unknown[]).length) {
      return `${path}: ${a.length} items vs ${(b as unknown[]).length}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`
    }
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)])
    for (const k of keys) {
      const d = diff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`)
      if (d) return d
    }
    return null
  }
  return a === b ? null : `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`
}

/** What an order granted each member (RULES.md §1.5's G), read from its award batch in the ledger. */
function grantsOf(sim: Sim, orderId: string): Map<string, { growth: bigint; quota: bigint; tranche: bigint; exitCap: bigint }> {
  const out = new Map<string, { growth: bigint; quota: bigint; tranche: bigint; exitCap: bigint }>()
  const of = (account: string) => {
    const id = memberOf(account)
    let g = out.get(id)
    if (!g) out.set(id, (g = { growth: 0n, quota: 0n, tranche: 0n, exitCap: 0n }))
    return g
  }
  for (const t of sim.store.transfers()) {
    if (t.batchKey !== keys.orderAward(orderId)) continue
    if (t.reason === "growth.issue.buyer" || t.reason === "growth.issue.referrer") of(t.credit).growth += t.amount
    // points that settled a growth debt were issued too (RULES.md §1.7)
    if (t.asset === "DEBT_GROWTH" && t.reason === "debt.settle") of(t.debit).growth += t.amount
    if (t.reason === "cycle.quota" || t.reason === "cycle.quota.referral") of(t.credit).quota += t.amount
    if (t.reason === "release.tranche") of(t.credit).tranche += t.amount
    if (t.reason === "exitcap.grant") of(t.credit).exitCap += t.amount
  }
  return out
}

// =========================================================================================
// 1. RULES.md §1.8: the invariants hold after every committed operation
// =========================================================================================

describe("properties of the rules engine", () => {
  /** Property 1: the audit after every step, and the simulator agreeing with the driven engine. */
  const invariantsHold = fc.asyncProperty(mixedScenarioArb(70), async (spec) => {
    const sim = await runSpec(spec, {
      afterStep: (s, step) => {
        const problems = auditProblems(s)
        if (problems) s.fail(`audit failed after ${stepName(step)}:\n${problems}`)
      },
    })
    // the driver is the simulator: the same document through runScenario gives the same result
    const out = await runScenario(parseScenario(sim.doc()))
    const mine = await renderOutput(sim.store, sim.program)
    const d = diff(normalise(out), normalise(mine))
    if (d) sim.fail(`runScenario differs from the driven engine at ${d}`)
    expect(out.invariants).toEqual({ ok: true, violations: [] })
  })

  it("1. the §1.8 invariants hold after every event and every day close", async () => {
    await fc.assert(invariantsHold, runs(80))
  })

  it("1 (recorded counterexample). a full refund whose two growth grants take the supply back to 0", async () => {
    // Found by property 1 and kept so that every run checks it: a referred member's order is
    // refunded in full, and its two growth grants (buyer, referrer) take the supply back to 0 in
    // one operation (RULES.md §2.1 "the price stays at its last value"; §1.8 invariant 4).
    const spec: ScenarioSpec = {
      program: { scale: 2, schemes: { growth: { enabled: true, poolRate: "0.3", buyerIssueRate: "0.0001", referrerIssueRate: "0.0001" } } },
      forest: { chain: 2, tree: [] },
      actions: [
        { t: "order", who: 1, amount: "334" },
        { t: "refund", which: 0, part: null },
      ],
    }
    await fc.assert(invariantsHold, { numRuns: 1, examples: [[spec]] })
  })

  // =========================================================================================
  // 2. RULES.md §1.8 invariant 4, §2.1–2.5: the growth price never falls
  // =========================================================================================

  it("2. the growth price never decreases except by a GROWTH admin adjustment", async () => {
    let adjustedDown = 0
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          program: programArb({ growth: true }),
          forest: mixedForest,
          actions: fc.array(actionArb(), { maxLength: 80, size: "max" }),
        }),
        async (spec) => {
          let last: Dec | null = null
          await runSpec(spec, {
            afterStep: (s, step) => {
              const price = s.store.programNow().growthPrice
              const exempt = step.event?.type === "adjust" && step.event.asset === "GROWTH"
              if (last !== null && price.lt(last)) {
                if (exempt) adjustedDown++
                else s.fail(`the growth price fell from ${last.toFixed()} to ${price.toFixed()} at ${stepName(step)}`)
              }
              last = price
            },
          })
        }
      ),
      runs(100)
    )
    // the exemption is exercised: positive GROWTH adjustments do lower the price (RULES.md §5)
    expect(adjustedDown).toBeGreaterThan(0)
  })

  // =========================================================================================
  // 3. RULES.md §1.8 invariants 3 and 5, §3.2, §4.6: no payout above quota or locked points
  // =========================================================================================

  it("3. no payout above quota or locked points; day reports agree with the ledger", async () => {
    await fc.assert(
      fc.asyncProperty(mixedScenarioArb(70), async (spec) => {
        let before = 0
        await runSpec(spec, {
          beforeClose: (s) => {
            before = s.store.transferCount()
          },
          afterStep: async (s, step) => {
            // every member balance is ≥ 0 (a debt is its own balance, never a negative one)
            for (const m of s.store.allMembers()) {
              const b = s.store.memberBalancesNow(m.id)
              for (const [asset, v] of Object.entries(b)) {
                if (v < 0n) s.fail(`${m.id} holds ${v} ${asset} after ${stepName(step)}`)
              }
            }
            // each member's tranches hold exactly its locked points, none below 0
            const locked = new Map<string, bigint>()
            for (const t of s.store.allTranches()) {
              if (t.remaining < 0n) s.fail(`tranche ${t.orderId} holds ${t.remaining} after ${stepName(step)}`)
              locked.set(t.memberId, (locked.get(t.memberId) ?? 0n) + t.remaining)
            }
            for (const m of s.store.allMembers()) {
              const want = s.store.memberBalancesNow(m.id).POINTS_LOCKED
              if ((locked.get(m.id) ?? 0n) !== want) {
                s.fail(`${m.id}: tranches hold ${locked.get(m.id) ?? 0n}, POINTS_LOCKED is ${want} after ${stepName(step)}`)
              }
            }
            if (step.kind !== "close") return
            const r = reportOf(await s.store.getDayReports(), step.day)
            const c = s.program.schemes.cycle
            // §3.2: P and Tₖ from max(S, 0), rounded down; paid ≤ P + ΣTₖ; returned = P + ΣTₖ − paid
            const S = r.sales.gt(0) ? r.sales : new Dec(0)
            const floorAt = (x: Dec) => BigInt(x.toDecimalPlaces(s.scale, Dec.ROUND_FLOOR).toFixed(s.scale).replace(".", ""))
            const wantPro = c.enabled ? floorAt(c.proRataPoolRate.times(S)) : 0n
            const wantTiers = c.enabled ? c.tiers.map((t) => floorAt(t.rate.times(S))) : []
            const pools = r.cycle.tierPools.reduce((a, b) => a + b, r.cycle.proRataPool)
            const problems: string[] = []
            if (r.cycle.proRataPool !== wantPro) problems.push(`proRataPool ${r.cycle.proRataPool} ≠ ${wantPro}`)
            if (JSON.stringify(plain(r.cycle.tierPools)) !== JSON.stringify(plain(wantTiers))) {
              problems.push(`tierPools ${plain(r.cycle.tierPools)} ≠ ${plain(wantTiers)}`)
            }
            if (r.cycle.paid < 0n || r.cycle.paid > pools) problems.push(`cycle paid ${r.cycle.paid} not within [0, ${pools}]`)
            if (r.cycle.returned !== pools - r.cycle.paid) problems.push(`cycle returned ${r.cycle.returned} ≠ ${pools} − ${r.cycle.paid}`)
            const rel = r.release
            const owed = rel.share + rel.team + rel.peer
            for (const k of ["base", "share", "team", "peer", "forfeited"] as const) {
              if (rel[k] < 0n) problems.push(`release ${k} ${rel[k]} < 0`)
            }
            if (rel.forfeited > owed) problems.push(`forfeited ${rel.forfeited} > owed ${owed}`)
            // the report is what the ledger did in this close
            const sum = new Map<string, bigint>()
            for (const t of s.transfersSince(before)) sum.set(t.reason, (sum.get(t.reason) ?? 0n) + t.amount)
            const got = (reason: string) => sum.get(reason) ?? 0n
            if (got("cycle.payout.quota") !== r.cycle.paid) problems.push(`quota paid out ${got("cycle.payout.quota")} ≠ report ${r.cycle.paid}`)
            if (got("release.base") !== rel.base) problems.push(`base released ${got("release.base")} ≠ report ${rel.base}`)
            if (got("release.acceleration") !== owed - rel.forfeited) {
              problems.push(`accelerations released ${got("release.acceleration")} ≠ owed − forfeited ${owed - rel.forfeited}`)
            }
            if (got("release.forfeit") !== rel.forfeited) problems.push(`forfeit transfers ${got("release.forfeit")} ≠ report ${rel.forfeited}`)
            if (problems.length > 0) s.fail(`day report of ${step.day}: ${problems.join("; ")}`)
          },
        })
      }),
      runs(100)
    )
  })

  // =========================================================================================
  // 4. RULES.md §1.5: nothing is ever reversed twice
  // =========================================================================================

  const refundCaseArb = fc.record({
    buyer: fc.nat(),
    referrer: fc.option(fc.nat(), { nil: null }),
    amount: amountArb(9000).filter((a) => new Dec(a).gt(0)),
    cuts: fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 6 }),
    matureFirst: fc.boolean(),
    earlierPart: fc.option(fc.integer({ min: 1, max: 999 }), { nil: null }),
  })
  type RefundCase = typeof refundCaseArb extends fc.Arbitrary<infer T> ? T : never
  const refundScenarioArb = scenarioArb({ integralReferralWeight: true }, { maxChain: 12, maxTree: 10, maxActions: 25 })

  /**
   * Two identical runs up to an order "target" (matured or still pending, perhaps partly refunded
   * already); then `whole` refunds what is left at once (refund id "full") and `pieces` refunds
   * the same total in pieces on the same day (ids p0, p1, …).
   */
  async function refundBothWays(spec: ScenarioSpec, t: RefundCase) {
    const sims: Sim[] = []
    for (let i = 0; i < 2; i++) {
      const sim = await runSpec(spec, {}, { finalClose: false })
      await guard(sim, async () => {
        const referrer = t.referrer === null || sim.members.length === 0 ? null : sim.members[t.referrer % sim.members.length]
        await sim.apply({ type: "join", day: sim.day, member: "X", referrer })
        const buyer = sim.members[t.buyer % sim.members.length]
        await sim.apply({ type: "order", day: sim.day, id: "target", member: buyer, amount: t.amount })
        if (t.matureFirst && sim.program.pendingDays > 0) {
          for (let k = 0; k <= sim.program.pendingDays; k++) await sim.closeToday()
        }
        if (t.earlierPart !== null) {
          // an earlier partial refund: the refunds below take everything that is left
          const amount = new Dec(t.amount).times(t.earlierPart).div(1000).toDecimalPlaces(5, Dec.ROUND_DOWN)
          await sim.apply({ type: "refund", day: sim.day, order: "target", amount: amount.toFixed(), refundId: "earlier" })
        }
      })
      sims.push(sim)
    }
    const [whole, pieces] = sims
    const order = (await pieces.store.getOrder("target"))!
    const left = order.amount.minus(order.refundedBefore).minus(order.refundedAfter)
    const before = await snapshot(pieces.store)
    const b0 = new Map(pieces.store.allMembers().map((m) => [m.id, pieces.store.memberBalancesNow(m.id)]))
    await whole.apply({ type: "refund", day: whole.day, order: "target", refundId: "full" })
    const total = t.cuts.reduce((a, b) => a + b, 0)
    const amounts: Dec[] = []
    let given = new Dec(0)
    t.cuts.forEach((c, i) => {
      const a = i === t.cuts.length - 1 ? left.minus(given) : left.times(c).div(total).toDecimalPlaces(6, Dec.ROUND_DOWN)
      amounts.push(a)
      given = given.plus(a)
    })
    for (let i = 0; i < amounts.length; i++) {
      await pieces.apply({ type: "refund", day: pieces.day, order: "target", amount: amounts[i].toFixed(), refundId: `p${i}` })
    }
    return { whole, pieces, order, left, amounts, before, b0 }
  }

  it("4a. refunds in pieces reverse exactly what one full refund does: each grant's G, never more", async () => {
    await fc.assert(
      fc.asyncProperty(refundScenarioArb, refundCaseArb, async (spec, t) => {
        const { whole, pieces, order, b0, before } = await refundBothWays(spec, t)
        await guard(pieces, async () => {
          const now = (id: string) => pieces.store.memberBalancesNow(id)
          type Bal = ReturnType<typeof now>
          const drop = (id: string, asset: keyof Bal) => b0.get(id)![asset] - now(id)[asset]
          const rise = (id: string, asset: keyof Bal) => -drop(id, asset)
          const after = (await pieces.store.getOrder("target"))!
          if (!after.refundedBefore.plus(after.refundedAfter).eq(after.amount)) pieces.fail("the pieces do not refund the whole order")
          if (order.status === "matured") {
            // RULES.md §1.5: each grant G of the order, read from the ledger (the order's award
            // batch), is worth floor(G × (1 − F)) before the pieces; refunds totalling the whole
            // order reverse exactly that: from the unpaid balance, then what it turned into, then as debt
            const granted = grantsOf(pieces, "target")
            const worth = (g: bigint) =>
              BigInt(new Dec(g.toString()).times(order.matured.minus(order.refundedAfter)).div(order.matured).floor().toFixed(0))
            for (const [id, g] of granted) {
              const cap = b0.get(id)!.EXIT_CAP
              const exitWorth = worth(g.exitCap)
              const checks: [string, bigint, bigint][] = [
                ["growth", drop(id, "GROWTH") + rise(id, "DEBT_GROWTH"), worth(g.growth)],
                ["quota", drop(id, "QUOTA") + drop(id, "CREDIT") + rise(id, "DEBT_CREDIT"), worth(g.quota)],
                ["tranche", drop(id, "POINTS_LOCKED") + drop(id, "POINTS") + rise(id, "DEBT_POINTS"), worth(g.tranche)],
                ["exit cap", drop(id, "EXIT_CAP"), exitWorth < cap ? exitWorth : cap],
              ]
              for (const [what, reversed, want] of checks) {
                if (reversed !== want) pieces.fail(`${id}: ${what} reversed in pieces ${reversed}, the order's grant was still worth ${want}`)
              }
            }
            for (const m of pieces.store.allMembers()) {
              if (granted.has(m.id)) continue
              // (weight is recomputed from net spend, RULES.md §1.5: the buyer's and its referrer's may move)
              const { WEIGHT: _w0, ...was } = b0.get(m.id)!
              const { WEIGHT: _w1, ...is } = now(m.id)
              const d = diff(plain(was), plain(is))
              if (d) pieces.fail(`${m.id} received nothing from the order, yet its balances moved: ${d}`)
            }
          } else {
            // before maturity a refund only reduces what will mature: no balance moves
            const d = diff(before.balances, (await snapshot(pieces.store)).balances)
            if (d) pieces.fail(`a refund before maturity moved a balance: ${d}`)
          }
          // the pieces end where the single full refund ends, and so do the days that follow
          let d = diff(pathFreeState(await snapshot(whole.store)), pathFreeState(await snapshot(pieces.store)))
          if (d) pieces.fail(`pieces vs one full refund (${JSON.stringify(whole.events.at(-1))}): ${d}`)
          for (let k = 0; k <= pieces.program.pendingDays; k++) {
            await whole.closeToday()
            await pieces.closeToday()
          }
          d = diff(pathFreeState(await snapshot(whole.store)), pathFreeState(await snapshot(pieces.store)))
          if (d) pieces.fail(`after the close, pieces vs one full refund: ${d}`)
        })
      }),
      runs(100)
    )
  })

  it("4b. re-delivering a refund (same refund id) is a duplicate and changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(refundScenarioArb, refundCaseArb, async (spec, t) => {
        const { whole, pieces, left, amounts } = await refundBothWays(spec, t)
        const redeliver = async (sim: Sim, refundId: string, amount: Dec | undefined, when: string) => {
          const s0 = await snapshot(sim.store)
          let error: unknown = null
          try {
            await sim.engine.refund({ orderId: "target", refundId, day: sim.day, ...(amount ? { amount } : {}) })
          } catch (e) {
            error = e
          }
          const changed = diff(s0, await snapshot(sim.store))
          if (changed) sim.fail(`re-delivering refund ${refundId} (${when}) changed ${changed}`)
          if (!(error instanceof RulesError) || error.code !== "duplicate") {
            const got = error instanceof RulesError ? `RulesError "${error.code}": ${error.message}` : `${error}`
            sim.fail(
              `engine.refund({ orderId: "target", refundId: "${refundId}"${amount ? `, amount: "${amount.toFixed()}"` : ""} }) ` +
                `re-delivered ${when}: expected RulesError "duplicate", got ${got}`
            )
          }
        }
        await guard(pieces, async () => {
          await redeliver(whole, "full", undefined, "without amount, on the same day")
          for (let i = 0; i < amounts.length; i++) await redeliver(pieces, `p${i}`, undefined, "without amount, on the same day")
          await redeliver(whole, "full", left, "with its amount, on the same day")
          for (let i = 0; i < amounts.length; i++) await redeliver(pieces, `p${i}`, amounts[i], "with its amount, on the same day")
          await whole.closeToday()
          await pieces.closeToday()
          await redeliver(whole, "full", left, "with its amount, on a later day")
          for (let i = 0; i < amounts.length; i++) await redeliver(pieces, `p${i}`, amounts[i], "with its amount, on a later day")
        })
      }),
      runs(60)
    )
  })

  // =========================================================================================
  // 5. RULES.md §1.3: closing a closed day changes nothing
  // =========================================================================================

  it("5. closing an already closed day returns false and changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        mixedScenarioArb(50),
        fc.array(actionArb(), { maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        async (spec, trailing, picks) => {
          const sim = await runSpec(spec)
          await guard(sim, async () => {
            // events of the open day are applied but not closed
            for (const a of trailing.filter((x) => x.t !== "close")) await sim.act(a)
            const program = sim.store.programNow()
            const closed = (await sim.store.getDayReports()).map((r) => r.day)
            expect(closed.at(-1)).toBe(program.lastClosedDay)
            const days = [closed[0], closed.at(-1)!, ...picks.map((p) => closed[p % closed.length]), "2025-12-31"]
            for (const d of days) {
              const s0 = await snapshot(sim.store)
              const result = await sim.engine.closeDay(d)
              const s1 = await snapshot(sim.store)
              if (result !== false) sim.fail(`closeDay(${d}) of a closed day returned ${result}`)
              const changed = diff(s0, s1)
              if (changed) sim.fail(`closeDay(${d}) of a closed day changed ${changed}`)
            }
          })
        }
      ),
      runs(60)
    )
  })

  // =========================================================================================
  // 6. RULES.md §4.6 "the day's result does not depend on processing order"
  // =========================================================================================

  it("6. a day's result does not depend on the order in which members joined", async () => {
    await fc.assert(
      fc.asyncProperty(
        programArb({ exitCap: false }),
        fc.oneof(forestArb(60, 40), forestArb(5, 60)),
        fc.array(fc.integer(), { minLength: 1, maxLength: 100, size: "max" }),
        fc.array(actionArb({ joins: false }), { minLength: 1, maxLength: 50, size: "max" }),
        async (program, forest, priorities, actions) => {
          const members = forestMembers(forest)
          const reordered = topologicalOrder(members, priorities)
          const seen = new Map<string, Omit<Snapshot, "transfers">>()
          const first = new Sim(program, {
            afterStep: async (s, step) => {
              if (step.kind === "close") seen.set(step.day, state(await snapshot(s.store, { withSeq: false })))
            },
          })
          await guard(first, async () => {
            await first.joinForest(members)
            for (const a of actions) await first.act(a)
            await first.closeToday()
          })
          const rest: ScenarioEventJson[] = first.events.slice(members.length)
          const second = new Sim(program, {
            afterStep: async (s, step) => {
              if (step.kind !== "close") return
              const d = diff(seen.get(step.day), state(await snapshot(s.store, { withSeq: false })))
              if (d) {
                s.fail(
                  `after the close of ${step.day}, joining in the order ${JSON.stringify(reordered.map((m) => m[0]))} instead of ` +
                    `${JSON.stringify(members.map((m) => m[0]))} changed ${d}`
                )
              }
            },
          })
          await guard(second, async () => {
            await second.joinForest(reordered)
            for (const ev of rest) await second.apply(ev)
          })
          expect(second.events.length).toBe(first.events.length)
        }
      ),
      runs(100)
    )
  })

  // =========================================================================================
  // 7. RULES.md §4.2–4.6 against a naive walk; deep chains
  // =========================================================================================

  describe("7. release: the bottom-up pass against a naive walk of RULES.md §4.2–4.6", () => {
    /** Runs the scenario; every close must leave what the naive walk computed before it. */
    const everyCloseMatchesTheReference = async (spec: ScenarioSpec) => {
      let expected: Expected | null = null
      await runSpec(spec, {
        beforeClose: async (s, day) => {
          expected = await referenceForClose(s, day)
        },
        afterStep: async (s, step) => {
          if (step.kind !== "close") return
          const problems = await compareWithReference(s, step.day, expected!)
          if (problems.length > 0) s.fail(`the close of ${step.day} differs from the naive reference:\n${problems.slice(0, 12).join("\n")}`)
        },
      })
    }

    it("7a. small chains and random forests: every close matches the naive reference", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            program: fc.oneof({ weight: 3, arbitrary: programArb({ release: true, teamRewards: true }) }, { weight: 1, arbitrary: programArb({ release: true }) }),
            forest: fc.oneof(forestArb(60, 0), forestArb(60, 30), forestArb(0, 40)),
            actions: fc.array(
              actionArb({ weights: { order: 45, refund: 6, close: 14, join: 2 }, amounts: fc.oneof(amountArb(8000), amountArb(300)) }),
              { maxLength: 60, size: "max" }
            ),
          }),
          everyCloseMatchesTheReference
        ),
        runs(300)
      )
    })

    it("7b. a chain of 5 000 members: the close completes, the audit is ok, and every member matches the reference", async () => {
      await fc.assert(
        fc.asyncProperty(bigChainArb(), async (p) => {
          const sim = new Sim(p.program)
          await guard(sim, async () => {
            await sim.joinForest(chainOf(p.n))
            for (let i = 0; i < p.n; i++) {
              await sim.apply({ type: "order", day: sim.day, id: `o${i}`, member: `c${i}`, amount: p.amounts[i] })
            }
            const day = sim.day
            const expected = await referenceForClose(sim, day, { chain: true })
            await sim.closeToday()
            const problems = await compareWithReference(sim, day, expected)
            if (problems.length > 0) sim.fail(`deep chain differs from the reference:\n${problems.slice(0, 12).join("\n")}`)
            const a = audit(sim.store, sim.initialPrice)
            if (!a.ok) sim.fail(`audit: ${a.violations.map((v) => v.message).join("; ")}`)
            // and the simulator renders it (its team pass for the output walks the same chain)
            const out = await renderOutput(sim.store, sim.program)
            expect(out.invariants.ok).toBe(true)
            expect(out.members[`c${p.n - 1}`].starLevel).toBe(0)
          })
        }),
        runs(3)
      )
    })

    it("7c. teamMaxDepth = k: the top of a 5 000 chain gets team rewards from exactly its k nearest generations", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            k: fc.option(fc.integer({ min: 0, max: 12 }), { nil: null }),
            rate: fc.integer({ min: 1, max: 10_000 }).map((n) => units(n, 4)),
            amount: fc.integer({ min: 100, max: 2000 }),
            dailyReleaseRate: fc.integer({ min: 1, max: 500 }).map((n) => units(n, 4)),
            scale: fc.integer({ min: 2, max: 6 }),
          }),
          async (p) => {
            const n = 5000
            const a = new Dec(p.amount)
            // only the top's team performance (everyone below it) reaches the one team level
            const program: Json = {
              scale: p.scale,
              schemes: {
                release: {
                  enabled: true,
                  levels: [{ threshold: "100", multiple: "2" }],
                  dailyReleaseRate: p.dailyReleaseRate,
                  shareRates: [],
                  teamRewardsEnabled: true,
                  teamLevels: [{ threshold: a.times(n - 1).toFixed(), rate: p.rate }],
                  teamMaxDepth: p.k,
                  peerRate: "0.5",
                },
              },
            }
            const sim = new Sim(program)
            await guard(sim, async () => {
              await sim.joinForest(chainOf(n))
              for (let i = 0; i < n; i++) await sim.apply({ type: "order", day: sim.day, id: `o${i}`, member: `c${i}`, amount: a.toFixed() })
              // a large second order gives the top enough locked points that nothing is forfeited
              await sim.apply({ type: "order", day: sim.day, id: "big", member: "c0", amount: a.times(n * 10).toFixed() })
              await sim.closeToday()
              const scale = p.scale
              const floorAt = (x: Dec) => BigInt(x.toDecimalPlaces(scale, Dec.ROUND_FLOOR).toFixed(scale).replace(".", ""))
              const base = floorAt(new Dec(p.dailyReleaseRate).times(a)) // every member's base release
              const bigBase = floorAt(new Dec(p.dailyReleaseRate).times(a.times(n * 10)))
              const generations = p.k === null ? n - 1 : Math.min(p.k, n - 1)
              const team = floorAt(new Dec(p.rate).times(base.toString()).times(generations).div(new Dec(10).pow(scale)))
              const r = reportOf(await sim.store.getDayReports(), "2026-01-01")
              expect(r.release.team).toBe(team)
              expect(r.release.peer).toBe(0n)
              expect(r.release.share).toBe(0n)
              expect(r.release.forfeited).toBe(0n)
              expect(sim.store.memberBalancesNow("c0").POINTS).toBe(base + bigBase + team)
              for (const i of [1, 2, n - 1]) expect(sim.store.memberBalancesNow(`c${i}`).POINTS).toBe(base)
              expect(audit(sim.store, sim.initialPrice).ok).toBe(true)
            })
          }
        ),
        {
          ...runs(5),
          // unlimited depth and a small k always, whatever else is drawn
          examples: [
            [{ k: null, rate: "0.1", amount: 300, dailyReleaseRate: "0.012", scale: 4 }],
            [{ k: 3, rate: "0.25", amount: 1234, dailyReleaseRate: "0.0033", scale: 3 }],
          ],
        }
      )
    })

    it("7d. huge amounts (team sums beyond 2^53 atoms): every close matches the naive reference", async () => {
      // the pass keeps its carries' sums as numbers below 2^53 and as bigints beyond (ExactSums):
      // orders of up to 10^12 make the sums cross that boundary
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            program: programArb({ release: true, teamRewards: true }),
            forest: fc.oneof(forestArb(30, 0), forestArb(30, 20), forestArb(0, 25)),
            actions: fc.array(
              actionArb({ weights: { order: 45, refund: 4, close: 14, join: 2 }, amounts: fc.oneof(amountArb(1_000_000_000_000), amountArb(8000)) }),
              { maxLength: 40, size: "max" }
            ),
          }),
          everyCloseMatchesTheReference
        ),
        runs(100)
      )
    })
  })
})

// =========================================================================================
// The naive reference of RULES.md §4.2–4.6
// =========================================================================================

interface RefConfig {
  scale: number
  levels: { threshold: Dec; multiple: Dec }[]
  dailyReleaseRate: Dec
  shareRates: Dec[]
  maxShareDepth: number
  teamOn: boolean
  teamLevels: { threshold: Dec; rate: Dec }[]
  teamMaxDepth: number | null
  peerRate: Dec
}

/** The release parameters read from the program document itself (defaults of RULES.md §4). */
function refConfig(program: Json): RefConfig {
  const r = ((program.schemes as Json | undefined)?.release ?? {}) as Json
  const d = (v: unknown, dflt: string) => new Dec(v === undefined ? dflt : (v as string))
  const levels = (r.levels as Json[] | undefined) ?? [
    { threshold: "3000", multiple: "2.5" },
    { threshold: "9000", multiple: "3" },
    { threshold: "27000", multiple: "3.5" },
    { threshold: "51000", multiple: "4" },
  ]
  const teamLevels = (r.teamLevels as Json[] | undefined) ?? []
  if (r.teamLevels === undefined && r.teamRewardsEnabled) throw new Error("give teamLevels explicitly in reference tests")
  return {
    scale: (program.scale as number | undefined) ?? 4,
    levels: levels.map((l) => ({ threshold: new Dec(l.threshold as string), multiple: new Dec(l.multiple as string) })),
    dailyReleaseRate: d(r.dailyReleaseRate, "0.012"),
    shareRates: ((r.shareRates as string[] | undefined) ?? ["0.50", "0.30"]).map((x) => new Dec(x)),
    maxShareDepth: (r.maxShareDepth as number | undefined) ?? 2,
    teamOn: (r.teamRewardsEnabled as boolean | undefined) ?? false,
    teamLevels: teamLevels.map((l) => ({ threshold: new Dec(l.threshold as string), rate: new Dec(l.rate as string) })),
    teamMaxDepth: r.teamMaxDepth === undefined ? null : (r.teamMaxDepth as number | null),
    peerRate: d(r.peerRate, "0.03"),
  }
}

interface RefTranche {
  orderId: string
  seq: number
  remaining: bigint
  netAmount: Dec
}

interface RefMember {
  id: string
  referrerId: string | null
  netSpend: Dec
  tranches: RefTranche[]
  points: bigint
  locked: bigint
  debt: bigint
}

interface RefResult {
  performance: Dec
  star: number
  base: bigint
  share: bigint
  team: bigint
  peer: bigint
  forfeited: bigint
  points: bigint
  locked: bigint
  debt: bigint
  tranches: Map<string, bigint>
}

interface Expected {
  members: Map<string, RefResult>
  totals: { base: bigint; share: bigint; team: bigint; peer: bigint; forfeited: bigint }
}

function floorAtoms(x: Dec, scale: number): bigint {
  return BigInt(x.times(new Dec(10).pow(scale)).floor().toFixed(0))
}

/**
 * RULES.md §4.2–4.6 by walking every member's referrer chain, member by member: O(n × depth).
 * `chainPerformance` computes team performance from the bottom of a single chain instead of
 * walking (for the 5 000 chain); `stopEarly` ends a team walk once nothing more can be owed
 * (high is the largest rate of all levels and its peer bonus is taken or impossible).
 */
function naiveRelease(cfg: RefConfig, members: RefMember[], opts: { chainPerformance?: boolean; stopEarly?: boolean } = {}): Expected {
  const byId = new Map(members.map((m) => [m.id, m]))
  const parent = (id: string) => byId.get(id)!.referrerId
  const scale = cfg.scale

  // §4.4 team performance: the cumulative net spend of the whole downline, X excluded
  const performance = new Map<string, Dec>(members.map((m) => [m.id, new Dec(0)]))
  if (opts.chainPerformance) {
    // a single chain: each member's performance is its child's plus the child's own spend
    const child = new Map<string, string>()
    for (const m of members) if (m.referrerId) child.set(m.referrerId, m.id)
    const bottom = members.find((m) => !child.has(m.id))!
    let below = new Dec(0)
    for (let id: string | null = bottom.id; id !== null; id = parent(id)) {
      performance.set(id, below)
      below = below.plus(byId.get(id)!.netSpend)
    }
  } else {
    for (const m of members) {
      for (let a = m.referrerId; a !== null; a = parent(a)) performance.set(a, performance.get(a)!.plus(m.netSpend))
    }
  }
  const star = new Map<string, number>()
  for (const m of members) {
    let s = 0
    cfg.teamLevels.forEach((l, i) => {
      if (l.threshold.lte(performance.get(m.id)!)) s = i + 1
    })
    star.set(m.id, s)
  }
  const rateOf = (id: string) => (star.get(id)! > 0 ? cfg.teamLevels[star.get(id)! - 1].rate : new Dec(0))
  const maxRate = cfg.teamLevels.reduce((a, l) => (l.rate.gt(a) ? l.rate : a), new Dec(0))

  // §4.2 base release per tranche, oldest first
  const bases = new Map<string, bigint[]>()
  const r = new Map<string, bigint>()
  for (const m of members) {
    m.tranches.sort((a, b) => a.seq - b.seq)
    const b = m.tranches.map((t) => {
      const daily = floorAtoms(cfg.dailyReleaseRate.times(t.netAmount), scale)
      return daily < t.remaining ? daily : t.remaining
    })
    bases.set(m.id, b)
    r.set(m.id, b.reduce((x, y) => x + y, 0n))
  }

  // §4.3–4.5 owed, in atoms, exact until the per-kind rounding
  const owed = { share: new Map<string, Dec>(), team: new Map<string, Dec>(), peer: new Map<string, Dec>() }
  const add = (kind: keyof typeof owed, id: string, v: Dec) => owed[kind].set(id, (owed[kind].get(id) ?? new Dec(0)).plus(v))
  for (const m of members) {
    const rm = r.get(m.id)!
    if (rm <= 0n) continue
    const rd = new Dec(rm.toString())
    // share rewards: generation g = 1..maxShareDepth gets shareRates[g−1] × r
    let a = m.referrerId
    for (let g = 1; g <= cfg.maxShareDepth && a !== null; g++, a = parent(a)) {
      if (g <= cfg.shareRates.length) add("share", a, cfg.shareRates[g - 1].times(rd))
    }
    if (!cfg.teamOn) continue
    // team differential and peer bonus on one walk up, at most teamMaxDepth generations
    let high = new Dec(0)
    let holderStar = 0
    const peerPaid = new Set<number>()
    a = m.referrerId
    for (let g = 1; a !== null && (cfg.teamMaxDepth === null || g <= cfg.teamMaxDepth); g++, a = parent(a)) {
      const ra = rateOf(a)
      const sa = star.get(a)!
      if (ra.gt(high)) {
        add("team", a, ra.minus(high).times(rd))
        high = ra
        holderStar = sa
      } else if (sa >= 1 && sa === holderStar && !peerPaid.has(sa)) {
        add("peer", a, cfg.peerRate.times(rd))
        peerPaid.add(sa)
      }
      if (opts.stopEarly && high.eq(maxRate) && (holderStar === 0 || peerPaid.has(holderStar) || cfg.peerRate.isZero())) break
    }
  }

  // §4.6 per recipient and kind: rounded once, capped by locked points after the own base release
  const out = new Map<string, RefResult>()
  const totals = { base: 0n, share: 0n, team: 0n, peer: 0n, forfeited: 0n }
  for (const m of members) {
    // owed is already in atoms: rounding down to scale is the integer part
    const kind = (k: keyof typeof owed) => BigInt((owed[k].get(m.id) ?? new Dec(0)).floor().toFixed(0))
    const share = kind("share")
    const team = kind("team")
    const peer = kind("peer")
    const b = bases.get(m.id)!
    let left = share + team + peer
    const tranches = new Map<string, bigint>()
    m.tranches.forEach((t, i) => {
      const available = t.remaining - b[i]
      const take = left < available ? left : available
      left -= take
      tranches.set(t.orderId, t.remaining - b[i] - take)
    })
    const base = r.get(m.id)!
    const paid = share + team + peer - left
    const inflow = base + paid
    const settled = m.debt < inflow ? m.debt : inflow
    out.set(m.id, {
      performance: performance.get(m.id)!,
      star: star.get(m.id)!,
      base,
      share,
      team,
      peer,
      forfeited: left,
      points: m.points + inflow - settled,
      locked: m.locked - inflow,
      debt: m.debt - settled,
      tranches,
    })
    totals.base += base
    totals.share += share
    totals.team += team
    totals.peer += peer
    totals.forfeited += left
  }
  return { members: out, totals }
}

/**
 * The state the release step of `day`'s close will see, read before the close: the members and
 * tranches as they are, plus what the orders maturing in step 1 add (RULES.md §1.4, §4.1).
 */
async function referenceForClose(sim: Sim, day: string, opts: { chain?: boolean } = {}): Promise<Expected> {
  const cfg = refConfig(sim.programJson)
  const store = sim.store
  const members = new Map<string, RefMember>()
  for (const m of store.allMembers()) {
    const b = store.memberBalancesNow(m.id)
    members.set(m.id, {
      id: m.id,
      referrerId: m.referrerId,
      netSpend: m.netSpend,
      tranches: [],
      points: b.POINTS,
      locked: b.POINTS_LOCKED,
      debt: b.DEBT_POINTS,
    })
  }
  for (const t of store.allTranches()) {
    members.get(t.memberId)!.tranches.push({ orderId: t.orderId, seq: t.seq, remaining: t.remaining, netAmount: t.netAmount })
  }
  for (const id of sim.orders) {
    const o = (await store.getOrder(id))!
    if (o.status !== "pending" || o.maturesOn !== day) continue
    const e = o.amount.minus(o.refundedBefore)
    const m = members.get(o.memberId)!
    m.netSpend = m.netSpend.plus(e)
    let level: { threshold: Dec; multiple: Dec } | null = null
    for (const l of cfg.levels) if (l.threshold.lte(e)) level = l
    if (level) {
      const locked = floorAtoms(level.multiple.times(e), cfg.scale)
      m.tranches.push({ orderId: o.id, seq: o.seq, remaining: locked, netAmount: e })
      m.locked += locked
    }
  }
  return naiveRelease(cfg, [...members.values()], { chainPerformance: opts.chain, stopEarly: opts.chain })
}

async function compareWithReference(sim: Sim, day: string, expected: Expected): Promise<string[]> {
  const problems: string[] = []
  const r = reportOf(await sim.store.getDayReports(), day).release
  for (const k of ["base", "share", "team", "peer", "forfeited"] as const) {
    if (r[k] !== expected.totals[k]) problems.push(`report release.${k}: engine ${r[k]}, reference ${expected.totals[k]}`)
  }
  const tranches = new Map([...sim.store.allTranches()].map((t) => [t.orderId, t.remaining]))
  for (const m of sim.store.allMembers()) {
    const want = expected.members.get(m.id)
    if (!want) {
      problems.push(`${m.id}: not in the reference`)
      continue
    }
    const b = sim.store.memberBalancesNow(m.id)
    const pairs: [string, unknown, unknown][] = [
      ["POINTS", b.POINTS, want.points],
      ["POINTS_LOCKED", b.POINTS_LOCKED, want.locked],
      ["DEBT_POINTS", b.DEBT_POINTS, want.debt],
      ["teamPerformance", m.teamPerformance.toFixed(), want.performance.toFixed()],
      ["starLevel", m.starLevel, want.star],
    ]
    for (const [what, got, w] of pairs) {
      if (got !== w) {
        problems.push(
          `${m.id}.${what}: engine ${got}, reference ${w} (reference base ${want.base}, share ${want.share}, team ${want.team}, peer ${want.peer}, forfeited ${want.forfeited})`
        )
      }
    }
    for (const [orderId, remaining] of want.tranches) {
      if (tranches.get(orderId) !== remaining) problems.push(`tranche ${orderId}: engine ${tranches.get(orderId)}, reference ${remaining}`)
    }
  }
  return problems
}

// =========================================================================================
// Deep chains
// =========================================================================================

function chainOf(n: number): [string, string | null][] {
  return forestMembers({ chain: n, tree: [] })
}

/** A 5 000 chain where everyone buys above the lowest level, with stars spread along it. */
function bigChainArb(): fc.Arbitrary<{ n: number; program: Json; amounts: string[] }> {
  const n = 5000
  return fc
    .record({
      seed: fc.integer({ min: 1, max: 2 ** 30 }),
      lowest: fc.integer({ min: 50, max: 500 }),
      spread: fc.integer({ min: 0, max: 3000 }),
      multiple: fc.constantFrom("1", "2.5", "4"),
      stars: fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 5 }),
      rates: teamLevelsArb(),
      teamMaxDepth: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }),
      shareRates: fc.array(fc.integer({ min: 0, max: 10_000 }).map((x) => units(x, 4)), { maxLength: 3 }),
      maxShareDepth: fc.integer({ min: 0, max: 3 }),
      dailyReleaseRate: fc.integer({ min: 1, max: 3000 }).map((x) => units(x, 4)),
      peerRate: fc.integer({ min: 0, max: 10_000 }).map((x) => units(x, 4)),
      scale: fc.integer({ min: 2, max: 6 }),
    })
    .map((p) => {
      let x = p.seed
      const amounts: string[] = []
      let total = new Dec(0)
      for (let i = 0; i < n; i++) {
        x = (x * 1103515245 + 12345) % 2 ** 31
        const a = new Dec(p.lowest).plus(p.spread === 0 ? 0 : x % (p.spread + 1)).plus(new Dec(x % 100).div(100))
        amounts.push(a.toFixed())
        total = total.plus(a)
      }
      // star thresholds spread over the chain's total spend, strictly increasing
      const fractions = [...new Set(p.stars)].sort((a, b) => a - b)
      const teamLevels = fractions.map((f, i) => ({
        threshold: total.times(f).div(1000).toDecimalPlaces(2, Dec.ROUND_DOWN).toFixed(),
        rate: (p.rates[i % p.rates.length]?.rate as string | undefined) ?? "0.1",
      }))
      const program: Json = {
        scale: p.scale,
        schemes: {
          growth: { enabled: true },
          cycle: { enabled: true },
          release: {
            enabled: true,
            levels: [{ threshold: String(p.lowest), multiple: p.multiple }],
            dailyReleaseRate: p.dailyReleaseRate,
            shareRates: p.shareRates,
            maxShareDepth: p.maxShareDepth,
            teamRewardsEnabled: true,
            teamLevels,
            teamMaxDepth: p.teamMaxDepth,
            peerRate: p.peerRate,
          },
        },
      }
      return { n, program, amounts }
    })
}

