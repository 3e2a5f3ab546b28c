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
import { SYSTEM, keys, memberAccount, type Transfer, type TransferBatch } from "./ledger"
import { openDayOf } from "./days"
import type { RewardsEngine } from "./engine"
import { awardOrder } from "./orders"
import { ReleasePass } from "./team"
import type { Commit, DayReport, DayRun } from "./store"

/** Members per batch by default: the unit of commit and of idempotency of a day close. */
export const DAY_BATCH_SIZE = 5_000

/** Balances the cycle step reads: QUOTA, WEIGHT, DEBT_CREDIT. */
const CYCLE_COLUMNS = ["QUOTA", "WEIGHT", "DEBT_CREDIT"] as const

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
        const due: string[] = []
        for await (const rows of store.streamBalances(["GROWTH", "EXIT_CAP"], engine.dayBatchSize)) {
          for (const { memberId, values } of rows) {
            if (values[0] > 0n && exitDue(values[0], values[1], price)) due.push(memberId)
          }
        }
        run.exitDue = due
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
          for (const memberId of due.slice(n * engine.dayBatchSize, (n + 1) * engine.dayBatchSize)) {
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

  // (3) cycle payouts (RULES.md §3.2)
  if (run.step === "cycle") {
    const c = cfg.schemes.cycle
    const bounds = tierBounds(c)
    if (c.enabled) {
      if (run.cycle === null) {
        const sales = await store.transaction((tx) => tx.getDaySales(day))
        const pools = dayPools(c, sales, cfg.scale)
        let totalWeight = 0n
        const tierCounts = new Array<number>(c.tiers.length).fill(0)
        for await (const rows of store.streamBalances(CYCLE_COLUMNS, engine.dayBatchSize)) {
          for (const { values } of rows) {
            const [quota, weight] = values
            if (quota <= 0n) continue // only active members (quota > 0)
            totalWeight += weight
            const k = tierOf(bounds, weight)
            if (k >= 0) tierCounts[k] += 1
          }
        }
        run.cycle = { sales, proRataPool: pools.proRata, tierPools: pools.tiers, totalWeight, tierCounts }
        report.cycle.proRataPool = pools.proRata
        report.cycle.tierPools = pools.tiers
        const funded = pools.tiers.reduce((a, b) => a + b, pools.proRata)
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
      }
      const agg = run.cycle
      const tierShares = agg.tierPools.map((t, k) => (agg.tierCounts[k] > 0 ? t / BigInt(agg.tierCounts[k]) : 0n))
      let n = 0
      for await (const rows of store.streamBalances(CYCLE_COLUMNS, engine.dayBatchSize)) {
        const key = keys.dayStep(day, "cycle", n++)
        const transfers: Transfer[] = []
        let paidInBatch = 0n
        for (const { ref, account, values } of rows) {
          const [quota, weight, debt] = values
          if (quota <= 0n) continue
          const k = tierOf(bounds, weight)
          const paid = memberPayout(weight, quota, agg.proRataPool, agg.totalWeight, k >= 0 ? tierShares[k] : 0n)
          if (paid === 0n) continue
          // the whole payout uses quota, also the part that settles credit debt (§1.7: a payout is an inflow)
          transfers.push({ asset: "QUOTA", debit: account, debitRef: ref, credit: SYSTEM.platform, amount: paid, reason: "cycle.payout.quota" })
          const settled = debt < paid ? debt : paid
          if (settled > 0n) transfers.push({ asset: "DEBT_CREDIT", debit: account, debitRef: ref, credit: SYSTEM.clawback, amount: settled, reason: "debt.settle" })
          if (paid > settled) transfers.push({ asset: "CREDIT", debit: SYSTEM.platform, credit: account, creditRef: ref, amount: paid - settled, reason: "cycle.payout" })
          paidInBatch += paid
        }
        if (paidInBatch > 0n) {
          transfers.push({ asset: "MONEY", debit: SYSTEM.cyclePool, credit: SYSTEM.platform, amount: paidInBatch, reason: "cycle.payout.funding" })
        }
        await store.transaction(async (tx) => {
          if (await tx.hasBatch(key)) return // committed before a crash: its payouts are in the report
          report.cycle.paid += paidInBatch
          await tx.commit({ batch: batch(key, transfers, `day:${day}`), dayRun: run })
        })
      }
      const returned = agg.tierPools.reduce((a, b) => a + b, agg.proRataPool) - report.cycle.paid
      report.cycle.returned = returned
      await store.transaction(async (tx) => {
        const key = keys.dayStep(day, "cycle-returned", 0)
        if (await tx.hasBatch(key)) return
        const transfers: Transfer[] =
          returned > 0n ? [{ asset: "MONEY", debit: SYSTEM.cyclePool, credit: SYSTEM.platform, amount: returned, reason: "cycle.returned" }] : []
        await tx.commit({ batch: batch(key, transfers, `day:${day}`), dayRun: run })
      })
    }
    await saveStep("release")
  }

  // (4) release: base releases, then accelerations (RULES.md §4.2–4.6)
  if (run.step === "release") {
    const r = cfg.schemes.release
    if (r.enabled) {
      const amountScale = await store.getAmountScale()
      const pass = new ReleasePass(r, day, amountScale)
      let n = 0
      for await (const rows of store.streamReleaseRows(engine.dayBatchSize)) {
        // every member passes through the pass, also in batches committed before a crash:
        // their downline's walks and shares must reach the members above them
        const key = keys.dayStep(day, "release", n++)
        const transfers: Transfer[] = []
        const releases: NonNullable<Commit["trancheReleases"]> = []
        const teamStats: NonNullable<Commit["teamStats"]> = { amountScale, members: [] }
        const totals = { base: 0n, share: 0n, team: 0n, peer: 0n, forfeited: 0n }
        for (const row of rows) {
          const res = pass.process(row.ref, row.referrerRef, row.netSpend, row.tranches)
          totals.base += res.baseTotal
          totals.share += res.share
          totals.team += res.team
          totals.peer += res.peer
          totals.forfeited += res.forfeited
          if (res.starLevel !== row.starLevel || res.teamPerformance !== row.teamPerformance) {
            teamStats.members.push({ ref: row.ref, teamPerformance: res.teamPerformance, starLevel: res.starLevel })
          }
          for (let i = 0; i < row.tranches.length; i++) {
            if (res.out[i] > 0n) {
              releases.push({
                ref: row.tranches[i].ref,
                remaining: res.start[i] - res.out[i],
                releasedOn: day,
                remainingBeforeRelease: res.start[i],
              })
            }
          }
          pushReleaseTransfers(transfers, row.account, row.ref, res.baseTotal, res.accelerationTotal, res.forfeited, row.debtPoints)
        }
        await store.transaction(async (tx) => {
          if (await tx.hasBatch(key)) return
          const rel = report.release
          rel.base += totals.base
          rel.share += totals.share
          rel.team += totals.team
          rel.peer += totals.peer
          rel.forfeited += totals.forfeited
          await tx.commit({ batch: batch(key, transfers, `day:${day}`), trancheReleases: releases, teamStats, dayRun: run })
        })
      }
    }
    await saveStep("report")
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
 * A member's day release as transfers: locked points out (base, then accelerations), released
 * points in after settling points debt (RULES.md §1.7), and the forfeited excess (§4.6).
 */
function pushReleaseTransfers(
  out: Transfer[],
  account: string,
  ref: number,
  base: bigint,
  acceleration: bigint,
  forfeited: bigint,
  debt: bigint
): void {
  if (base > 0n) out.push({ asset: "POINTS_LOCKED", debit: account, debitRef: ref, credit: SYSTEM.release, amount: base, reason: "release.base" })
  if (acceleration > 0n) {
    out.push({ asset: "POINTS_LOCKED", debit: account, debitRef: ref, credit: SYSTEM.release, amount: acceleration, reason: "release.acceleration" })
  }
  const inflow = base + acceleration
  const settled = debt < inflow ? debt : inflow
  if (settled > 0n) out.push({ asset: "DEBT_POINTS", debit: account, debitRef: ref, credit: SYSTEM.clawback, amount: settled, reason: "debt.settle" })
  const settledFromBase = settled < base ? settled : base
  const baseIn = base - settledFromBase
  const accelerationIn = acceleration - (settled - settledFromBase)
  if (baseIn > 0n) out.push({ asset: "POINTS", debit: SYSTEM.release, credit: account, creditRef: ref, amount: baseIn, reason: "release.base.points" })
  if (accelerationIn > 0n) {
    out.push({ asset: "POINTS", debit: SYSTEM.release, credit: account, creditRef: ref, amount: accelerationIn, reason: "release.acceleration.points" })
  }
  if (forfeited > 0n) out.push({ asset: "POINTS", debit: SYSTEM.release, credit: SYSTEM.forfeiture, amount: forfeited, reason: "release.forfeit" })
}

