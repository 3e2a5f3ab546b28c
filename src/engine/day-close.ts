/**
 * The daily cycle (RULES.md §6), in this order: (1) mature the orders due on D and close D's
 * sales; (2) growth forced exits; (3) cycle payouts; (4) release base releases, then
 * accelerations; (5) the day report. Progress is recorded in the day run in the same commits
 * as the transfers, so a crash at any point resumes without paying anything twice.
 */
import { dayPools, memberPayout, tierBounds, tierOf } from "./cycle"
import { Dec } from "./decimal"
import { reject } from "./errors"
import { exitDue, priceUnits, sellBack } from "./growth"
import { DAY_SLOTS, SLOT, SYSTEM, keys, memberAccount, type Transfer, type TransferBatch } from "./ledger"
import { openDayOf } from "./days"
import type { RewardsEngine } from "./engine"
import { awardOrder } from "./orders"
import { ExactSums } from "./exact-sums"
import { ReleasePass } from "./team"
import type { CycleConfig } from "./config"
import type { CycleAggregates, DayReport, DayRun } from "./store"

/** Members per batch by default: the unit of commit and of idempotency of a day close. */
export const DAY_BATCH_SIZE = 5_000

// slot indexes as plain constants: the pass reads them once per member
const {
  cycleQuota,
  cycleDebtSettle,
  cycleCredit,
  releaseBase,
  releaseAcceleration,
  releaseDebtSettle,
  releaseBasePoints,
  releaseAccelerationPoints,
  releaseForfeit,
} = SLOT
const SLOTS = DAY_SLOTS.length
// MemberDayBatch.slots holds one bit per slot
if (SLOTS > 16) throw new Error("internal: more posting slots than MemberDayBatch.slots has bits")
/** The day report's release totals (DayReport.release), as entries of the pass's ExactSums. */
const RELEASED = ["base", "share", "team", "peer", "forfeited"] as const
const [RELEASED_BASE, RELEASED_SHARE, RELEASED_TEAM, RELEASED_PEER, RELEASED_FORFEITED] = RELEASED.map((_, i) => i)

/**
 * The pass computes in slices of this many members and lets pending I/O run between them (a
 * macrotask turn): the commits of earlier batches then run alongside the computation, not after
 * it. Each of a commit's statements waits for the next slice boundary, so slices stay short.
 */
const YIELD_EVERY = 100
/**
 * Commits of member batches that may run at once while the pass computes the next batch. A
 * commit mostly waits on the database; several side by side keep the pass from waiting on them.
 * Each batch stands alone (its own key, rows and transfer ids), so their order does not matter.
 */
const COMMITS_IN_FLIGHT = 2
const breathe: () => Promise<void> =
  typeof setImmediate === "function" ? () => new Promise<void>((resolve) => setImmediate(resolve)) : () => Promise.resolve()

/** Balances the cycle aggregates read, the forced exits, both. */
const CYCLE_COLUMNS = ["QUOTA", "WEIGHT"] as const
const EXIT_COLUMNS = ["GROWTH", "EXIT_CAP"] as const
const EXIT_AND_CYCLE_COLUMNS = ["GROWTH", "EXIT_CAP", "QUOTA", "WEIGHT"] as const

/**
 * RULES.md §3.2: the day's pools from its sales S, and what every payout divides by — the total
 * weight of the active members (quota > 0) and the active members per tier — tallied member by
 * member.
 */
async function cycleTally(store: RewardsEngine["store"], day: string, c: CycleConfig, scale: number) {
  const sales = await store.transaction((tx) => tx.getDaySales(day))
  const pools = dayPools(c, sales, scale)
  const bounds = tierBounds(c)
  let totalWeight = 0n
  const tierCounts = new Array<number>(c.tiers.length).fill(0)
  return {
    add(quota: bigint, weight: bigint): void {
      if (quota <= 0n) return // only active members (quota > 0)
      totalWeight += weight
      const k = tierOf(bounds, weight)
      if (k >= 0) tierCounts[k] += 1
    },
    aggregates: (): CycleAggregates => ({ sales, proRataPool: pools.proRata, tierPools: pools.tiers, totalWeight, tierCounts }),
  }
}

export function emptyReport(day: string, tiers: number): DayReport {
  return {
    day,
    sales: new Dec(0),
    cycle: { proRataPool: 0n, tierPools: new Array<bigint>(tiers).fill(0n), paid: 0n, returned: 0n },
    release: { base: 0n, share: 0n, team: 0n, peer: 0n, forfeited: 0n },
    growth: { exits: 0, exitProceeds: 0n },
  }
}

export async function closeBusinessDay(engine: RewardsEngine, day: string): Promise<boolean> {
  return engine.store.exclusive(() => closeHeldOff(engine, day))
}

/** The close itself, while every other writer waits (RewardsStore.exclusive). */
async function closeHeldOff(engine: RewardsEngine, day: string): Promise<boolean> {
  const store = engine.store
  const v = engine.configAt(day)
  const cfg = v.config
  const started = await store.transaction(async (tx) => {
    const program = await tx.getProgram()
    const open = openDayOf(program)
    if (open !== null && day < open) return null
    if (open !== null && day > open) {
      reject("day", `business day ${open} must be closed before ${day} (RULES.md §1.3)`)
    }
    let run = await tx.getDayRun(day)
    if (!run) {
      run = {
        day,
        step: "mature",
        configVersion: v.version,
        exitDue: null,
        cycle: null,
        report: emptyReport(day, cfg.schemes.cycle.enabled ? cfg.schemes.cycle.tiers.length : 0),
      }
      if (open === null) program.firstDay = day
      await tx.commit({ dayRun: run, program })
    }
    return run
  })
  if (!started || started.step === "done") return false
  const run: DayRun = started
  const report = run.report!
  const batch = (key: string, transfers: Transfer[], source: string): TransferBatch => ({
    key,
    day,
    source,
    configVersion: v.version,
    transfers,
  })
  const saveStep = async (step: DayRun["step"]) => {
    run.step = step
    await store.transaction((tx) => tx.commit({ dayRun: run }))
  }

  // (1) orders due on D mature, in placement order (RULES.md §1.4)
  if (run.step === "mature") {
    const due = await store.transaction((tx) => tx.getOrdersMaturingOn(day))
    for (const pending of due) {
      await store.transaction(async (tx) => {
        const order = await tx.getOrder(pending.id)
        if (!order || order.status !== "pending") return
        const op = await engine.internalOp(tx, day)
        await awardOrder(op, order)
        await tx.commit(op.toCommit(keys.orderAward(order.id), order.id))
      })
    }
    await saveStep("exit")
  }

  // (2) forced exits at the step's starting price, in join order (RULES.md §2.4)
  if (run.step === "exit") {
    const g = cfg.schemes.growth
    if (g.enabled && g.exitCapMultiple.gt(0)) {
      if (run.exitDue === null) {
        const price = priceUnits((await store.transaction((tx) => tx.getProgram())).growthPrice)
        const due: number[] = []
        // the same read gives the cycle's aggregates (step 3): an exit moves GROWTH, EXIT_CAP,
        // CREDIT, DEBT_CREDIT and MONEY, never QUOTA or WEIGHT, so they are those after the exits
        const cycle = cfg.schemes.cycle.enabled && run.cycle === null ? await cycleTally(store, day, cfg.schemes.cycle, cfg.scale) : null
        const columns = cycle ? EXIT_AND_CYCLE_COLUMNS : EXIT_COLUMNS
        for await (const { refs, values } of store.streamBalances(columns, engine.dayBatchSize)) {
          for (let i = 0, at = 0; i < refs.length; i++, at += columns.length) {
            const growth = values[at]
            if (growth > 0n && exitDue(growth, values[at + 1], price)) due.push(refs[i])
            if (cycle) cycle.add(values[at + 2], values[at + 3])
          }
        }
        run.exitDue = await store.memberIdsOf(due)
        if (cycle) run.cycle = cycle.aggregates()
        await store.transaction((tx) => tx.commit({ dayRun: run }))
      }
      // in chunks of members, one transaction each: the exits stay sequential (each one's price
      // follows the previous one's sale) and keep a batch each, so the ledger shows the price
      // after every exit; the round trips no longer grow with the number of exits
      const due = run.exitDue
      for (let n = 0; n * engine.dayBatchSize < due.length; n++) {
        await store.transaction(async (tx) => {
          const chunkKey = keys.dayStep(day, "exit", n)
          if (await tx.hasBatch(chunkKey)) return
          const op = await engine.internalOp(tx, day)
          const batches: TransferBatch[] = [batch(chunkKey, [], `day:${day}`)]
          const chunk = due.slice(n * engine.dayBatchSize, (n + 1) * engine.dayBatchSize)
          await tx.prefetchBalances?.(chunk)
          for (const memberId of chunk) {
            const holdings = await op.balance(memberId, "GROWTH")
            if (holdings === 0n) continue
            const from = op.transfers.length
            const { gross, proceeds } = await sellBack(op, memberId, holdings, {
              burn: "growth.exit",
              proceeds: "growth.exit.proceeds",
            })
            const cap = await op.balance(memberId, "EXIT_CAP")
            await op.post("EXIT_CAP", memberAccount(memberId), SYSTEM.platform, cap < gross ? cap : gross, "growth.exit.cap")
            batches.push(batch(keys.exit(day, memberId), op.transfers.slice(from), `day:${day}`))
            report.growth.exits += 1
            report.growth.exitProceeds += proceeds
          }
          const { batch: _all, ...changes } = op.toCommit(chunkKey, `day:${day}`)
          await tx.commit({ ...changes, batches, dayRun: run })
        })
      }
    }
    await saveStep("cycle")
  }

  // (3) the cycle's pools and the aggregates every payout divides by (RULES.md §3.2), fixed
  // before the first payout so a resumed close pays the same
  if (run.step === "cycle") {
    const c = cfg.schemes.cycle
    if (c.enabled) {
      if (run.cycle === null) {
        const cycle = await cycleTally(store, day, c, cfg.scale)
        for await (const { refs, values } of store.streamBalances(CYCLE_COLUMNS, engine.dayBatchSize)) {
          for (let i = 0, at = 0; i < refs.length; i++, at += CYCLE_COLUMNS.length) cycle.add(values[at], values[at + 1])
        }
        run.cycle = cycle.aggregates()
      }
      const agg = run.cycle
      report.cycle.proRataPool = agg.proRataPool
      report.cycle.tierPools = agg.tierPools
      const funded = agg.tierPools.reduce((a, b) => a + b, agg.proRataPool)
      run.step = "release"
      await store.transaction((tx) =>
        tx.commit({
          batch: batch(
            keys.dayStep(day, "cycle-pools", 0),
            funded > 0n ? [{ asset: "MONEY", debit: SYSTEM.sales, credit: SYSTEM.cyclePool, amount: funded, reason: "cycle.pool" }] : [],
            `day:${day}`
          ),
          dayRun: run,
        })
      )
    } else {
      await saveStep("release")
    }
  }

  // (3)–(4) the member pass: every member's cycle payout (RULES.md §3.2) and release (§4.2–4.6)
  // in one sweep of the referral forest, children before parents. A member's payout reads and
  // moves only QUOTA, WEIGHT, CREDIT and DEBT_CREDIT, its release only locked points, points,
  // DEBT_POINTS, tranches and the team figures, so computing both member by member gives what
  // step (3) then step (4) gives. Each batch of members is staged under its own key; the whole
  // pass is published at once, with the cycle's funding and returned pools, so a crash at any
  // point resumes from inputs that nothing has changed yet.
  if (run.step === "release") {
    const c = cfg.schemes.cycle
    const r = cfg.schemes.release
    if (c.enabled || r.enabled) {
      const agg = c.enabled ? run.cycle : null
      const bounds = tierBounds(c)
      const tierShares = agg ? agg.tierPools.map((t, k) => (agg.tierCounts[k] > 0 ? t / BigInt(agg.tierCounts[k]) : 0n)) : []
      const amountScale = await store.getAmountScale()
      const pass = r.enabled ? new ReleasePass(r, amountScale) : null
      const S = SLOTS
      // the pass's totals, added to member by member: exact sums without a bigint per addition
      const slotTotals = new ExactSums(S)
      const released = new ExactSums(RELEASED.length)
      let n = 0
      // the batches' commits run while the pass computes the batches after them, at most
      // COMMITS_IN_FLIGHT at once (memory stays bounded); a failed commit stops the pass, once
      // the commits still running have ended
      const inFlight: Promise<void>[] = []
      try {
        // every batch passes through the pass, also those staged before a crash: their downline's
        // walks and shares must reach the members above them, and their totals the report
        for await (const rows of store.streamMemberDays(engine.dayBatchSize)) {
          const key = keys.dayStep(day, "members", n++)
          const refs = new Int32Array(rows.length)
          const amounts = new Array<bigint>(rows.length * S).fill(0n)
          const slots = new Uint16Array(rows.length)
          const trancheOut: bigint[] = []
          const teamPerformance = new Array<bigint>(rows.length)
          const starLevel = new Array<number>(rows.length)
          for (let i = 0; i < rows.length; i++) {
            // let the commits in flight make progress (their I/O callbacks run between slices)
            if (i % YIELD_EVERY === YIELD_EVERY - 1) await breathe()
            const row = rows[i]
            refs[i] = row.ref
            if (agg && row.quota > 0n) {
              const k = tierOf(bounds, row.weight)
              const paid = memberPayout(row.weight, row.quota, agg.proRataPool, agg.totalWeight, k >= 0 ? tierShares[k] : 0n)
              if (paid > 0n) {
                // the whole payout uses quota, also the part that settles credit debt (§1.7: a payout is an inflow)
                const settled = row.debtCredit < paid ? row.debtCredit : paid
                put(amounts, slots, i, slotTotals, cycleQuota, paid)
                if (settled > 0n) put(amounts, slots, i, slotTotals, cycleDebtSettle, settled)
                const credit = paid - settled
                if (credit > 0n) put(amounts, slots, i, slotTotals, cycleCredit, credit)
              }
            }
            if (pass) {
              const res = pass.process(row.ref, row.referrerRef, row.netSpend, row.tranches)
              if (res.baseTotal !== 0n) released.add(RELEASED_BASE, res.baseTotal)
              if (res.share !== 0n) released.add(RELEASED_SHARE, res.share)
              if (res.team !== 0n) released.add(RELEASED_TEAM, res.team)
              if (res.peer !== 0n) released.add(RELEASED_PEER, res.peer)
              if (res.forfeited !== 0n) released.add(RELEASED_FORFEITED, res.forfeited)
              teamPerformance[i] = res.teamPerformance
              starLevel[i] = res.starLevel
              for (let t = 0; t < row.tranches.length; t++) trancheOut.push(res.out[t])
              releaseSlots(amounts, slots, i, slotTotals, res.baseTotal, res.accelerationTotal, res.forfeited, row.debtPoints)
            } else {
              teamPerformance[i] = row.teamPerformance
              starLevel[i] = row.starLevel
              for (let t = 0; t < row.tranches.length; t++) trancheOut.push(0n)
            }
          }
          const memberDays = {
            key,
            day,
            source: `day:${day}`,
            configVersion: v.version,
            refs,
            amounts,
            slots,
            trancheOut,
            teamPerformance,
            starLevel,
            amountScale,
          }
          const committing = store.transaction(async (tx) => {
            if (await tx.hasBatch(key)) return // staged before a crash
            await tx.commit({ memberDays })
          })
          committing.catch(() => undefined) // awaited below, or settled when the pass stops
          inFlight.push(committing)
          while (inFlight.length > COMMITS_IN_FLIGHT) await inFlight.shift()
        }
      } catch (e) {
        await Promise.allSettled(inFlight)
        throw e
      }
      const failed = (await Promise.allSettled(inFlight)).find((e) => e.status === "rejected")
      if (failed) throw failed.reason
      const totals = Array.from({ length: S }, (_, k) => slotTotals.get(k))
      const transfers: Transfer[] = []
      if (agg) {
        const paid = totals[cycleQuota]
        const returned = agg.tierPools.reduce((a, b) => a + b, agg.proRataPool) - paid
        report.cycle.paid = paid
        report.cycle.returned = returned
        if (paid > 0n) transfers.push({ asset: "MONEY", debit: SYSTEM.cyclePool, credit: SYSTEM.platform, amount: paid, reason: "cycle.payout.funding" })
        if (returned > 0n) transfers.push({ asset: "MONEY", debit: SYSTEM.cyclePool, credit: SYSTEM.platform, amount: returned, reason: "cycle.returned" })
      }
      if (pass) {
        report.release = {
          base: released.get(RELEASED_BASE),
          share: released.get(RELEASED_SHARE),
          team: released.get(RELEASED_TEAM),
          peer: released.get(RELEASED_PEER),
          forfeited: released.get(RELEASED_FORFEITED),
        }
      }
      run.step = "report"
      await store.transaction((tx) =>
        tx.commit({
          publishMemberDays: { day, slotTotals: totals },
          batch: batch(keys.dayStep(day, "cycle-returned", 0), transfers, `day:${day}`),
          dayRun: run,
        })
      )
    } else {
      await saveStep("report")
    }
  }

  // (5) the day report; the day is closed
  if (run.step === "report") {
    await store.transaction(async (tx) => {
      const program = await tx.getProgram()
      report.sales = await tx.getDaySales(day)
      program.lastClosedDay = day
      run.step = "done"
      await tx.commit({ program, dayRun: run })
    })
  }
  return true
}

/**
 * A member's day release as posting slots (DAY_SLOTS), added to the pass's slot totals: locked
 * points out (base, then accelerations), released points in after settling points debt
 * (RULES.md §1.7), and the forfeited excess (§4.6).
 */
function releaseSlots(
  amounts: bigint[],
  slots: Uint16Array,
  i: number,
  totals: ExactSums,
  base: bigint,
  acceleration: bigint,
  forfeited: bigint,
  debt: bigint
): void {
  put(amounts, slots, i, totals, releaseBase, base)
  put(amounts, slots, i, totals, releaseAcceleration, acceleration)
  put(amounts, slots, i, totals, releaseForfeit, forfeited)
  if (debt === 0n) {
    put(amounts, slots, i, totals, releaseBasePoints, base)
    put(amounts, slots, i, totals, releaseAccelerationPoints, acceleration)
    return
  }
  const inflow = base + acceleration
  const settled = debt < inflow ? debt : inflow
  put(amounts, slots, i, totals, releaseDebtSettle, settled)
  const settledFromBase = settled < base ? settled : base
  put(amounts, slots, i, totals, releaseBasePoints, base - settledFromBase)
  put(amounts, slots, i, totals, releaseAccelerationPoints, acceleration - (settled - settledFromBase))
}

/** Member i's amount of one posting slot (0: no transfer), marked in its slots and counted in the pass's totals. */
function put(amounts: bigint[], slots: Uint16Array, i: number, totals: ExactSums, slot: number, amount: bigint): void {
  if (amount === 0n) return
  amounts[i * SLOTS + slot] = amount
  slots[i] |= 1 << slot
  totals.add(slot, amount)
}
