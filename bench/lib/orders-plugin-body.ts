/**
 * The "with the plugin" process of `npm run bench:orders`: run by bench/orders.ts as
 * `medusa exec ./bench/lib/orders-plugin-body.ts` from the repository root, i.e. the
 * repository's app as the integration tests load it (root medusa-config.ts: the rewards
 * module; the plugin's subscribers, workflows, workflow hooks, links and routes from `src/`)
 * with Medusa's local event bus and in-memory workflow engine.
 *
 * Setup, then `ready`:
 * 1. the member base, seeded with set-based SQL (bench/lib/orders-seed.ts): a random forest
 *    plus one referral chain of BENCH_CHAIN members;
 * 2. a real store (scripts/lib/store.ts `seedStore`) and BENCH_BUYERS real Medusa customers
 *    (`createCustomersWorkflow`), joined through the plugin's join workflow with a referral
 *    code: even buyers are referred by a root (depth 1), odd ones by the end of the chain
 *    (depth chain + 1). The plugin's `customer.created` listener is held back meanwhile so
 *    the explicit joins run in order; it is put back afterwards.
 *
 * Tasks (bench/lib/orders-ipc.ts):
 * - `complete`: checkouts with the plugin in place (bench/lib/orders-checkout.ts). The
 *   plugin's `order.placed` subscriber awards each order, as in production; its listener is
 *   wrapped only to time it and to know when it is done — the next checkout starts then.
 * - `award`: orders checked out by the process without the plugin, awarded one after another
 *   by `awardOrderWorkflow(container).run()` with the `order.placed` subscriber's input, timed,
 *   with the time of each of its steps.
 *   With BENCH_PROFILE=<prefix>, each block's awards are CPU-profiled into <prefix>.<n>.cpuprofile.
 * - `trace`: two checkouts with the plugin whose `order.placed` awards are held back, then
 *   awarded as the subscriber does, with every SQL statement recorded; the statements on
 *   the rewards tables are EXPLAINed (ANALYZE, BUFFERS; in a rolled-back transaction).
 * - `check`: every order was awarded (rewards_order matured, a tranche, the inbox event
 *   applied), nothing is left queued or rejected.
 */
import type { EventEmitter } from "node:events"
import os from "node:os"
import { createCustomersWorkflow } from "@medusajs/core-flows"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import type { ExecArgs, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { seedStore } from "../../scripts/lib/store"
import { REWARDS_MODULE } from "../../src/modules/rewards"
import type RewardsModuleService from "../../src/modules/rewards/service"
import { awardOrderWorkflow, joinMemberWorkflow } from "../../src/workflows"
import { type Buyer, type CompleteArgs, type DepthClass, checkoutBlock, now } from "./orders-checkout"
import { log, serve } from "./orders-ipc"
import { startProfile } from "./profile"
import { type SeedResult, seedMembers } from "./orders-seed"

export const BENCH_DAY = "2026-03-02"
const ORDER_PLACED_SUBSCRIBER = "medusa-rewards-order-placed"
const CUSTOMER_CREATED_SUBSCRIBER = "medusa-rewards-customer-created"

type Row = Record<string, any>

export interface PluginReady {
  seed: SeedResult
  store: CompleteArgs["store"]
  buyers: Buyer[]
  buyerDepths: { shallow: number[]; deep: number[] }
  environment: { postgres: string; sharedBuffers: string; node: string }
  timings: Record<string, number>
  /** peak RSS of this process after the setup, MB (the seeding runs inside PostgreSQL) */
  maxRssMb: number
}

export interface PluginCompletion {
  orderId: string
  depth: DepthClass
  complete: number
  /** the subscriber's run of the award workflow, ms */
  award: number
  /** from the start of the completion until the rewards are recorded, ms */
  untilAwarded: number
  /** when the subscriber started, ms after completeCartWorkflow's run() returned (negative: before) */
  subscriberStart: number
}

export interface AwardTiming {
  orderId: string
  award: number
  /** the award workflow's steps, ms */
  steps: Record<string, number>
}

export interface TracedStatement {
  sql: string
  calls: number
  ms: number
  plan: string[]
  seqScans: string[]
}

export interface TraceResult {
  awards: {
    orderId: string
    depth: DepthClass
    totalMs: number
    sqlMs: number
    statements: number
    rewardsStatements: number
    rewardsSqlMs: number
  }[]
  explain: TracedStatement[]
}

function env(name: string, fallback: number): number {
  const v = process.env[name]
  if (v === undefined || v === "") return fallback
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${v}`)
  return n
}

const secondsSince = (t: number) => Math.round((now() - t) / 100) / 10

// ---------------------------------------------------------------------------------------
// The plugin's listeners on the local event bus
// ---------------------------------------------------------------------------------------

type Listener = ((body: Row) => Promise<void>) & { subscriberId?: string }

/**
 * One of the plugin's subscribers on Medusa's local event bus: the listener Medusa's
 * subscriber loader registered (the bus's error-logging wrapper around the loader's call of
 * the plugin's handler), which can be held back, put back, or put back wrapped to time it.
 */
class PluginListener {
  private readonly original: Listener
  private readonly timed: Listener
  private attached: Listener | null
  private readonly done = new Map<string, { start: number; end: number }>()
  private readonly waiters = new Map<string, (r: { start: number; end: number }) => void>()

  constructor(
    private readonly emitter: EventEmitter,
    private readonly event: string,
    subscriberId: string
  ) {
    const found = emitter.listeners(event).find((l) => (l as Listener).subscriberId === subscriberId) as Listener | undefined
    if (!found) throw new Error(`the plugin's subscriber ${subscriberId} is not listening to ${event}`)
    this.original = found
    this.attached = found
    this.timed = async (body: Row) => {
      const start = now()
      await found(body)
      const r = { start, end: now() }
      const id = String(body?.data?.id)
      this.done.set(id, r)
      this.waiters.get(id)?.(r)
      this.waiters.delete(id)
    }
    this.timed.subscriberId = subscriberId
  }

  off(): void {
    if (this.attached) this.emitter.off(this.event, this.attached)
    this.attached = null
  }

  timedOn(): void {
    this.off()
    this.emitter.on(this.event, this.timed)
    this.attached = this.timed
  }

  restore(): void {
    this.off()
    this.emitter.on(this.event, this.original)
    this.attached = this.original
  }

  wait(id: string, timeoutMs = 120_000): Promise<{ start: number; end: number }> {
    const r = this.done.get(id)
    if (r) return Promise.resolve(r)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id)
        reject(new Error(`the plugin's ${this.event} subscriber did not finish for ${id} within ${timeoutMs} ms (see the log)`))
      }, timeoutMs)
      this.waiters.set(id, (res) => {
        clearTimeout(timer)
        resolve(res)
      })
    })
  }
}

function localEmitter(container: MedusaContainer): EventEmitter {
  const bus = container.resolve(Modules.EVENT_BUS) as unknown as { eventEmitter_?: EventEmitter }
  if (!bus.eventEmitter_ || typeof bus.eventEmitter_.listeners !== "function") {
    throw new Error("bench:orders needs Medusa's local event bus (@medusajs/event-bus-local, the default)")
  }
  return bus.eventEmitter_
}

// ---------------------------------------------------------------------------------------
// SQL trace
// ---------------------------------------------------------------------------------------

interface Traced {
  sql: string
  bindings: unknown[]
  start: number
  ms: number
}

function traceQueries(knexes: Knex[]): { stop: () => Traced[] } {
  const open = new Map<string, Traced>()
  const done: Traced[] = []
  const onQuery = (q: Row) => {
    open.set(q.__knexQueryUid, { sql: q.sql, bindings: q.bindings ?? [], start: now(), ms: 0 })
  }
  const onResponse = (_r: unknown, q: Row) => {
    const t = open.get(q.__knexQueryUid)
    if (!t) return
    open.delete(q.__knexQueryUid)
    t.ms = now() - t.start
    done.push(t)
  }
  for (const k of knexes) {
    k.on("query", onQuery)
    k.on("query-response", onResponse)
    k.on("query-error", onResponse)
  }
  return {
    stop() {
      for (const k of knexes) {
        k.removeListener("query", onQuery)
        k.removeListener("query-response", onResponse)
        k.removeListener("query-error", onResponse)
      }
      return done
    },
  }
}

class RollBack extends Error {}

/** Threshold above which a sequential scan of a rewards table in the award path is a problem. */
const SEQ_SCAN_ROWS = 10_000

/**
 * The sequential scans of a rewards table in a plan that read at least SEQ_SCAN_ROWS rows
 * (rows returned + removed by the filter, per loop × loops). A scan of a table of a few rows
 * is what the planner should do; one of a table that grows with the program is not.
 */
function bigSeqScans(plan: string[]): string[] {
  const found: string[] = []
  plan.forEach((line, i) => {
    const m = line.match(/Seq Scan on (rewards_\w+).*actual time=[\d.]+\.\.[\d.]+ rows=([\d.]+) loops=(\d+)/)
    if (!m) return
    const indent = line.search(/\S/)
    let removed = 0
    for (let j = i + 1; j < plan.length && plan[j].search(/\S/) > indent; j++) {
      const r = plan[j].match(/Rows Removed by Filter: (\d+)/)
      if (r) removed += Number(r[1])
    }
    const read = (Number(m[2]) + removed) * Number(m[3])
    if (read >= SEQ_SCAN_ROWS) found.push(`${m[1]}: ${read} rows read`)
  })
  return found
}

/** EXPLAIN (ANALYZE, BUFFERS) of a traced statement, in a transaction that is rolled back. */
async function explain(pg: Knex, sql: string, bindings: unknown[]): Promise<string[]> {
  let plan: string[] = []
  try {
    await pg.transaction(async (trx) => {
      // the traced SQL is pg's ($1, $2, …); knex.raw takes ? placeholders
      const order: number[] = []
      const text = sql.replace(/\$(\d+)/g, (_m, n: string) => {
        order.push(Number(n) - 1)
        return "?"
      })
      const rows = (await trx.raw(`explain (analyze, buffers, costs off) ${text}`, order.map((i) => bindings[i]) as Knex.RawBinding[]))
        .rows as Row[]
      plan = rows.map((r) => r["QUERY PLAN"] as string)
      throw new RollBack()
    })
  } catch (e) {
    if (!(e instanceof RollBack)) plan = [`(explain failed: ${(e as Error).message})`]
  }
  return plan
}

// ---------------------------------------------------------------------------------------
// The process
// ---------------------------------------------------------------------------------------

export default async function pluginBody({ container }: ExecArgs): Promise<void> {
  const members = env("BENCH_MEMBERS", 1_000_000)
  const chain = env("BENCH_CHAIN", Math.min(10_000, Math.floor(members / 2)))
  const buyerCount = env("BENCH_BUYERS", 2_022)
  const timings: Record<string, number> = {}

  const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
  const pg = container.resolve(ContainerRegistrationKeys.PG_CONNECTION) as unknown as Knex
  const q = async (sql: string, bindings: readonly unknown[] = []) => (await pg.raw(sql, bindings as Knex.RawBinding[])).rows as Row[]

  const [server] = await q(`select version() as v, current_setting('shared_buffers') as sb`)
  const environment = { postgres: String(server.v).split(",")[0], sharedBuffers: String(server.sb), node: process.version }
  log(`${environment.postgres}, shared_buffers ${environment.sharedBuffers}`)

  // 1. the program (version 1 from the plugin options) and the member base
  await rewards.startProgram()
  rewards.setClock(() => new Date(`${BENCH_DAY}T12:00:00Z`))
  let t = now()
  log(`seeding ${members} members (chain ${chain}) with set-based SQL`)
  const seed = await seedMembers(pg, { members, chain, day: BENCH_DAY, log })
  timings.seed = secondsSince(t)
  log(`seeded in ${timings.seed} s: ${JSON.stringify(seed.timings)}; sizes ${JSON.stringify(seed.tableSizes)}`)
  if ((await rewards.today()) !== BENCH_DAY) throw new Error("the rewards clock is not on the benchmark day")

  // 2. the store and the buyers
  t = now()
  const store = await seedStore(container, { currency: "cny", unitPrice: 100, shippingPrice: 10, name: "bench" })
  timings.store = secondsSince(t)
  const emitter = localEmitter(container)
  const orderPlaced = new PluginListener(emitter, "order.placed", ORDER_PLACED_SUBSCRIBER)
  const customerCreated = new PluginListener(emitter, "customer.created", CUSTOMER_CREATED_SUBSCRIBER)

  t = now()
  log(`creating ${buyerCount} customers and joining them (codes ${seed.shallowReferrer.code} / ${seed.deepReferrer.code})`)
  customerCreated.off()
  const stamp = Date.now().toString(36)
  const emailOf = (i: number) => `bench-${stamp}-${i}@example.com`
  const depthOf = (i: number): DepthClass => (i % 2 === 0 ? "shallow" : "deep")
  const byEmail = new Map<string, string>()
  for (let from = 0; from < buyerCount; from += 100) {
    const batch = Array.from({ length: Math.min(100, buyerCount - from) }, (_, j) => {
      const i = from + j
      const code = depthOf(i) === "shallow" ? seed.shallowReferrer.code : seed.deepReferrer.code
      return { email: emailOf(i), first_name: "Bench", last_name: `Buyer ${i}`, metadata: { referral_code: code } }
    })
    const { result } = await createCustomersWorkflow(container).run({ input: { customersData: batch } })
    for (const c of result) byEmail.set(c.email!, c.id)
  }
  const buyers: Buyer[] = Array.from({ length: buyerCount }, (_, i) => ({ id: byEmail.get(emailOf(i))!, email: emailOf(i), depth: depthOf(i) }))
  for (const b of buyers) {
    const { result } = await joinMemberWorkflow(container).run({ input: { customer_id: b.id } })
    if (result.status !== "applied" || result.reason) throw new Error(`join of ${b.id}: ${result.status} ${result.reason ?? ""}`)
  }
  customerCreated.restore()
  const depthRows = await q(`select customer_id, depth from rewards_member where customer_id = any(?::text[])`, [buyers.map((b) => b.id)])
  const depthById = new Map(depthRows.map((r) => [r.customer_id as string, r.depth as number]))
  const buyerDepths = {
    shallow: [...new Set(buyers.filter((b) => b.depth === "shallow").map((b) => depthById.get(b.id)!))],
    deep: [...new Set(buyers.filter((b) => b.depth === "deep").map((b) => depthById.get(b.id)!))],
  }
  timings.buyers = secondsSince(t)
  log(`buyers joined in ${timings.buyers} s; depths shallow ${buyerDepths.shallow.join(",")}, deep ${buyerDepths.deep.join(",")}`)

  orderPlaced.timedOn()
  let profiles = 0
  const maxRssMb = Math.round(process.resourceUsage().maxRSS / 1024)
  const ready: PluginReady = { seed, store, buyers, buyerDepths, environment, timings, maxRssMb }
  await serve(ready, {
    /** checkouts with the plugin: its subscriber awards each order before the next checkout */
    async complete(args: CompleteArgs): Promise<{ completions: PluginCompletion[]; prepareMs: number; load: number }> {
      const out: PluginCompletion[] = []
      const { prepareMs } = await checkoutBlock(container, args, async (c) => {
        const r = await orderPlaced.wait(c.orderId)
        out.push({
          orderId: c.orderId,
          depth: c.buyer.depth,
          complete: c.complete,
          award: r.end - r.start,
          untilAwarded: r.end - (c.returnedAt - c.complete),
          subscriberStart: r.start - c.returnedAt,
        })
      })
      return { completions: out, prepareMs, load: os.loadavg()[0] }
    },

    /** orders placed without the plugin, awarded one after another by the award workflow */
    async award({ orderIds }: { orderIds: string[] }): Promise<AwardTiming[]> {
      const out: AwardTiming[] = []
      // BENCH_PROFILE=<prefix>: a CPU profile of each block of explicit awards, <prefix>.<n>.cpuprofile
      const profile = process.env.BENCH_PROFILE ? await startProfile(`${process.env.BENCH_PROFILE}.${++profiles}.cpuprofile`) : null
      for (const orderId of orderIds) {
        const steps: Record<string, number> = {}
        const begun: Record<string, number> = {}
        const a0 = now()
        const { result } = await awardOrderWorkflow(container).run({
          input: { order_id: orderId, read_refunds: false },
          events: {
            onStepBegin: ({ step }) => {
              begun[step.definition.action ?? step.id] = now()
            },
            onStepSuccess: ({ step }) => {
              const name = step.definition.action ?? step.id
              steps[name] = now() - begun[name]
            },
          },
        })
        const award = now() - a0
        if (result.event.status !== "applied" || result.event.duplicate) {
          throw new Error(`award of ${orderId}: ${result.event.status} ${result.event.reason ?? ""}`)
        }
        out.push({ orderId, award, steps })
      }
      if (profile) await profile()
      return out
    },

    /** the award of each order with its SQL recorded; EXPLAIN of the deep one's rewards-table statements */
    async trace(args: CompleteArgs): Promise<TraceResult> {
      // checkouts with the plugin whose awards are held back, then run here, traced: the path of
      // production (the figures kept when the cart completed)
      orderPlaced.off()
      const orders: { orderId: string; depth: DepthClass }[] = []
      await checkoutBlock(container, args, async (c) => {
        orders.push({ orderId: c.orderId, depth: c.buyer.depth })
      })
      orderPlaced.timedOn()
      const rewardsKnex = (rewards as unknown as { knex(): Knex }).knex()
      const knexes = rewardsKnex === pg ? [pg] : [pg, rewardsKnex]
      const awards: TraceResult["awards"] = []
      const byStatement = new Map<string, { sql: string; bindings: unknown[]; calls: number; ms: number }>()
      for (const o of orders) {
        const tracer = traceQueries(knexes)
        const t0 = now()
        await awardOrderWorkflow(container).run({ input: { order_id: o.orderId, read_refunds: false } })
        const totalMs = now() - t0
        const traced = tracer.stop()
        const onRewards = traced.filter((x) => /\brewards_/.test(x.sql))
        awards.push({
          orderId: o.orderId,
          depth: o.depth,
          totalMs,
          sqlMs: traced.reduce((s, x) => s + x.ms, 0),
          statements: traced.length,
          rewardsStatements: onRewards.length,
          rewardsSqlMs: onRewards.reduce((s, x) => s + x.ms, 0),
        })
        if (o.depth !== "deep") continue
        for (const x of onRewards) {
          const key = x.sql.replace(/\s+/g, " ").trim()
          const entry = byStatement.get(key) ?? { sql: key, bindings: x.bindings, calls: 0, ms: 0 }
          entry.calls++
          entry.ms += x.ms
          byStatement.set(key, entry)
        }
      }
      const explained: TracedStatement[] = []
      for (const s of byStatement.values()) {
        const plan = await explain(pg, s.sql, s.bindings)
        explained.push({
          sql: s.sql,
          calls: s.calls,
          ms: Math.round(s.ms * 100) / 100,
          plan,
          seqScans: bigSeqScans(plan),
        })
      }
      return { awards, explain: explained }
    },

    async check({ orderIds }: { orderIds: string[] }): Promise<Record<string, number>> {
      const [check] = await q(
        `select (select count(*) from rewards_order where order_id = any(?::text[]) and status = 'matured')::int as matured,
                (select count(*) from rewards_tranche where order_id = any(?::text[]))::int as tranches,
                (select count(*) from rewards_event where key = any(?::text[]) and status = 'applied' and reason is null)::int as applied,
                (select count(*) from rewards_event where status <> 'applied')::int as not_applied,
                (select count(*) from rewards_member)::int as members`,
        [orderIds, orderIds, orderIds.map((id) => `order:${id}:placed`)]
      )
      return { orders: orderIds.length, ...check, pluginMaxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }
    },
  })
  orderPlaced.restore()
}
