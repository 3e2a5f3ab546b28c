/**
 * The forecast of RULES.md §10: the same engine (`memoryEngine`, src/simulator/scenario.ts)
 * runs a configuration forward in memory over a sales path the merchant chooses — sales
 * growing or shrinking, stopping on a given day — from the current member base (imported
 * through `engine.importBatch`) or a synthetic one, and reports per day the obligations, the
 * funds that back them, payouts and pool balances. Deterministic: every random choice comes
 * from a seeded PRNG (mulberry32), so the same input gives the same series.
 *
 * Decision (§10, the starting point): the current base is imported on day 0 as it is now —
 * every member with its referrer and every order that still counts, at its net amount — and
 * day 0 is closed like any day. The orders therefore grant under the chosen configuration (not
 * the versions they were placed under) and day 0's cycle pools are paid from the whole
 * imported history; the series that matter start on day 1. A forecast is a model of the rules
 * applied to a sales path, not a replay of the ledger.
 */
import type { ProgramConfig } from "../../../../engine/config"
import { seededRandom } from "../../../../simulator/random"
import { addDays } from "../../../../engine/days"
import { Dec, fromAtoms } from "../../../../engine/decimal"
import type { JoinInput, OrderInput } from "../../../../engine/engine"
import { SYSTEM } from "../../../../engine/ledger"
import type { MemoryStore } from "../../../../engine/memory-store"
import type { BaseMember } from "../../../../modules/rewards/admin-queries"
import { memoryEngine } from "../../../../simulator/scenario"

export interface SalesPath {
  /** Eligible sales on day 1, program currency. */
  dailySales: Dec
  /** Daily growth of sales (0.01 = +1 % a day; negative shrinks; > −1). */
  growthRate: Dec
  /** The first day (1-based) with no sales at all; null: sales never stop. */
  stopDay: number | null
  averageOrder: Dec
  referral: {
    /** Share of a day's orders placed by members who join that day. */
    newMemberShare: Dec
    /** Share of new members who join with a referrer (a uniformly chosen existing member). */
    referredShare: Dec
  }
}

export type ForecastBase =
  | { kind: "current"; pages: AsyncIterable<BaseMember[]> }
  | { kind: "synthetic"; members: number; averageOrder: Dec; referredShare: Dec }

export interface ForecastInput {
  config: ProgramConfig
  path: SalesPath
  horizon: number
  base: ForecastBase
  seed: number
  startDay: string
}

export interface ForecastDay {
  day: string
  index: number
  sales: string
  orders: number
  newMembers: number
  members: number
  price: string
  obligations: { growth: string; credit: string; quota: string; locked: string; released: string; total: string }
  backing: { growth: string; credit: string; total: string }
  payouts: { cycle: string; release: string; exits: string }
  pools: { growth: string; cycle: string }
  /** backing − obligations; negative when obligations exceed what backs them. */
  gap: string
  exceeds: boolean
}

export interface ForecastResult {
  startDay: string
  currency: string
  baseMembers: number
  days: ForecastDay[]
  summary: {
    /** First day (index ≥ 1) whose obligations exceed their backing; null if none. */
    firstExceedsDay: string | null
    worstGap: string
    totalSales: string
    totalPayouts: { cycle: string; release: string; exits: string }
  }
}

/** Orders on one day are capped so one request stays bounded. */
export const MAX_ORDERS_PER_DAY = 5_000
export const MAX_SYNTHETIC_MEMBERS = 100_000

/** The forecast's generator (seeded: the same input gives the same series). */
export const prng = seededRandom

/** Sales of day `d` (1-based) of the path, rounded down to cents. */
export function salesOn(path: SalesPath, d: number): Dec {
  if (path.stopDay !== null && d >= path.stopDay) return new Dec(0)
  return path.dailySales.times(new Dec(1).plus(path.growthRate).pow(d - 1)).toDecimalPlaces(2, Dec.ROUND_DOWN)
}

/** The largest number of orders any day of the path would have (for the input check). */
export function maxOrdersPerDay(path: SalesPath, horizon: number): number {
  let max = new Dec(0)
  for (let d = 1; d <= horizon; d++) max = Dec.max(max, salesOn(path, d))
  return Number(max.div(path.averageOrder).toDecimalPlaces(0, Dec.ROUND_HALF_UP).toFixed())
}

/** Splits `total` into `n` amounts of cents with random weights in [0.5, 1.5) (their sum ≤ total). */
function splitSales(total: Dec, n: number, rand: () => number): Dec[] {
  const weights = Array.from({ length: n }, () => 0.5 + rand())
  const sum = weights.reduce((a, b) => a + b, 0)
  return weights.map((w) => total.times(new Dec(w).div(sum)).toDecimalPlaces(2, Dec.ROUND_DOWN))
}

const IMPORT_BATCH = 5_000

export async function runForecast(input: ForecastInput): Promise<ForecastResult> {
  const { config, path } = input
  const { engine, store } = memoryEngine(config, { dayBatchSize: 50_000 })
  const rand = prng(input.seed)
  const members: string[] = []
  const day0 = input.startDay

  // day 0: the base
  let items: ({ join: JoinInput } | { order: OrderInput })[] = []
  let batch = 0
  const flush = async () => {
    if (items.length === 0) return
    await engine.importBatch(day0, `forecast:import:${batch++}`, items)
    items = []
  }
  if (input.base.kind === "current") {
    for await (const page of input.base.pages) {
      for (const m of page) {
        items.push({ join: { memberId: m.id, referrerId: m.referrerId, day: day0 } })
        members.push(m.id)
        for (const o of m.orders) items.push({ order: { orderId: o.id, memberId: m.id, amount: new Dec(o.amount), day: day0 } })
        if (items.length >= IMPORT_BATCH) await flush()
      }
    }
  } else {
    const b = input.base
    for (let i = 0; i < b.members; i++) {
      const id = `base-${i + 1}`
      const referrerId = members.length > 0 && rand() < b.referredShare.toNumber() ? members[Math.floor(rand() * members.length)] : null
      items.push({ join: { memberId: id, referrerId, day: day0 } })
      members.push(id)
      const amount = b.averageOrder.times(0.5 + rand()).toDecimalPlaces(2, Dec.ROUND_DOWN)
      if (amount.gt(0)) items.push({ order: { orderId: `${id}-o1`, memberId: id, amount, day: day0 } })
      if (items.length >= IMPORT_BATCH) await flush()
    }
  }
  await flush()
  const baseMembers = members.length

  const scale = config.scale
  const pointValue = config.schemes.release.pointValue
  const days: ForecastDay[] = []
  let returnedToPlatform = 0n
  let newMemberSeq = 0
  const newShare = path.referral.newMemberShare.toNumber()
  const referredShare = path.referral.referredShare.toNumber()

  for (let d = 0; d <= input.horizon; d++) {
    const day = addDays(day0, d)
    let sales = new Dec(0)
    let orders = 0
    let joined = 0
    if (d > 0) {
      const target = salesOn(path, d)
      const n = Number(target.div(path.averageOrder).toDecimalPlaces(0, Dec.ROUND_HALF_UP).toFixed())
      const amounts = n > 0 ? splitSales(target, n, rand) : []
      for (let k = 0; k < amounts.length; k++) {
        let buyer: string
        if (members.length === 0 || rand() < newShare) {
          buyer = `new-${++newMemberSeq}`
          const referrerId = members.length > 0 && rand() < referredShare ? members[Math.floor(rand() * members.length)] : null
          await engine.join({ memberId: buyer, referrerId, day })
          members.push(buyer)
          joined++
        } else {
          buyer = members[Math.floor(rand() * members.length)]
        }
        if (amounts[k].gt(0)) {
          await engine.placeOrder({ orderId: `f-${d}-${k + 1}`, memberId: buyer, amount: amounts[k], day })
          sales = sales.plus(amounts[k])
          orders++
        }
      }
    }
    await engine.closeDay(day)
    const run = await store.getDayRun(day)
    const report = run!.report!
    returnedToPlatform += report.cycle.returned
    days.push(snapshot(store, { day, index: d, sales, orders, joined, members: members.length, scale, pointValue, returnedToPlatform, report }))
  }

  let firstExceedsDay: string | null = null
  let worst: Dec | null = null
  const totals = { cycle: new Dec(0), release: new Dec(0), exits: new Dec(0) }
  let totalSales = new Dec(0)
  for (const day of days) {
    if (day.index === 0) continue
    if (day.exceeds && firstExceedsDay === null) firstExceedsDay = day.day
    const gap = new Dec(day.gap)
    if (worst === null || gap.lt(worst)) worst = gap
    totals.cycle = totals.cycle.plus(day.payouts.cycle)
    totals.release = totals.release.plus(day.payouts.release)
    totals.exits = totals.exits.plus(day.payouts.exits)
    totalSales = totalSales.plus(day.sales)
  }
  return {
    startDay: day0,
    currency: config.currency,
    baseMembers,
    days,
    summary: {
      firstExceedsDay,
      worstGap: (worst ?? new Dec(0)).toFixed(),
      totalSales: totalSales.toFixed(),
      totalPayouts: { cycle: totals.cycle.toFixed(), release: totals.release.toFixed(), exits: totals.exits.toFixed() },
    },
  }
}

/**
 * The day's figures from the system accounts only (members' totals are minus the system
 * accounts' sums, RULES.md §1.8 invariant 2): O(1) per day whatever the member count. Valued
 * and backed as the dashboard's obligations report (admin-queries.ts `obligations`).
 */
function snapshot(
  store: MemoryStore,
  x: {
    day: string
    index: number
    sales: Dec
    orders: number
    joined: number
    members: number
    scale: number
    pointValue: Dec
    returnedToPlatform: bigint
    report: NonNullable<Awaited<ReturnType<MemoryStore["getDayRun"]>>>["report"] & object
  }
): ForecastDay {
  const accounts = Object.values(SYSTEM)
  const held = (asset: Parameters<MemoryStore["systemBalanceNow"]>[1]) =>
    -accounts.reduce((s, a) => s + store.systemBalanceNow(a, asset), 0n)
  const dec = (a: bigint) => fromAtoms(a, x.scale)
  const floor = (v: Dec) => v.toDecimalPlaces(x.scale, Dec.ROUND_DOWN)
  const price = store.programNow().growthPrice
  const pool = store.systemBalanceNow(SYSTEM.growthPool, "MONEY")
  const issued = -store.systemBalanceNow(SYSTEM.issuance, "GROWTH")
  const supply = issued - store.systemBalanceNow(SYSTEM.burned, "GROWTH")
  const treasury = store.systemBalanceNow(SYSTEM.treasury, "GROWTH")
  const memberGrowth = held("GROWTH")
  const share = (points: bigint) => (supply > 0n ? floor(dec(pool).times(points.toString()).div(supply.toString())) : new Dec(0))
  const growth = floor(dec(memberGrowth).times(price))
  const credit = dec(held("CREDIT"))
  const quota = dec(held("QUOTA"))
  const locked = floor(dec(held("POINTS_LOCKED")).times(x.pointValue))
  const released = floor(dec(held("POINTS")).times(x.pointValue))
  const total = growth.plus(credit).plus(quota).plus(locked).plus(released)
  // money the pools paid the platform to fund credit: all MONEY it received less the cycle's returns
  const creditFunding = dec(store.systemBalanceNow(SYSTEM.platform, "MONEY") - x.returnedToPlatform).plus(share(treasury))
  const backingGrowth = share(memberGrowth)
  const backing = backingGrowth.plus(creditFunding)
  const r = x.report
  const releasedToday = r.release.base + r.release.share + r.release.team + r.release.peer - r.release.forfeited
  return {
    day: x.day,
    index: x.index,
    sales: x.sales.toFixed(),
    orders: x.orders,
    newMembers: x.joined,
    members: x.members,
    price: price.toFixed(),
    obligations: {
      growth: growth.toFixed(),
      credit: credit.toFixed(),
      quota: quota.toFixed(),
      locked: locked.toFixed(),
      released: released.toFixed(),
      total: total.toFixed(),
    },
    backing: { growth: backingGrowth.toFixed(), credit: creditFunding.toFixed(), total: backing.toFixed() },
    payouts: {
      cycle: dec(r.cycle.paid).toFixed(),
      release: floor(dec(releasedToday).times(x.pointValue)).toFixed(),
      exits: dec(r.growth.exitProceeds).toFixed(),
    },
    pools: { growth: dec(pool).toFixed(), cycle: dec(store.systemBalanceNow(SYSTEM.cyclePool, "MONEY")).toFixed() },
    gap: backing.minus(total).toFixed(),
    exceeds: total.gt(backing),
  }
}
