/**
 * Faults of delivery and of the database, in a real store (the repository as a Medusa app) on a
 * real PostgreSQL. Whatever arrives twice, late or out of order, and whenever the database
 * drops its connections, the ledger must be exactly what `medusa-rewards simulate` computes for
 * the events as the inbox recorded them, and `rewards.audit()` must pass:
 * - a cancellation and a refund delivered before their order's award (the award then reverses
 *   the share undone so far: src/workflows/orders/steps/record-order.ts), the same refund
 *   delivered three times, a refund delivered only after the award, an award delivered a day
 *   late;
 * - 1 200 duplicated and shuffled order.placed / order.canceled / payment.refunded deliveries
 *   at once, through the plugin's own subscribers;
 * - every database connection terminated again and again while awards run, and while a day
 *   closes: failed deliveries are delivered again (as the Redis event bus does with
 *   `jobOptions.attempts`), a failed close is run again (as the next tick does).
 *
 * How a delivery is held back: a trigger (created here, outside src/) makes the database refuse
 * inbox rows whose key matches a pattern in `rewards_test_block`, so the automatic delivery by
 * the local event bus fails, as a lost event would; the test delivers it later itself.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { Client } from "pg"
import { Dec } from "../../src/engine/decimal"
import { REWARDS_MODULE } from "../../src/modules/rewards"
import type RewardsModuleService from "../../src/modules/rewards/service"
import type { ImportItem } from "../../src/modules/rewards/types"
import orderCanceledHandler from "../../src/subscribers/order-canceled"
import orderPlacedHandler from "../../src/subscribers/order-placed"
import paymentRefundedHandler from "../../src/subscribers/payment-refunded"
import { awardOrderWorkflow, joinMemberWorkflow, reverseOrderWorkflow } from "../../src/workflows"
import {
  cancelOrder,
  createCustomer,
  getOrderPayments,
  placeOrder,
  refundPayment,
  seedStore,
  type SeededStore,
} from "../helpers"

// every scheme on, in UTC so business days are plain dates; small close batches so that a
// close is many commits, and a terminated connection lands in the middle of one
const PROGRAM = {
  currency: "CNY",
  timezone: "UTC",
  scale: 4,
  schemes: {
    growth: { enabled: true, poolRate: "0.30", buyerIssueRate: "0.70", exitCapMultiple: "3" },
    cycle: { enabled: true, weightUnit: "100", tiers: [{ name: "V1", min: 1, max: null, rate: "0.05" }] },
    release: { enabled: true, levels: [{ threshold: "150", multiple: "2.5" }], teamRewardsEnabled: true },
  },
}
const programFile = path.join(mkdtempSync(path.join(tmpdir(), "rewards-faults-")), "program.json")
writeFileSync(programFile, JSON.stringify(PROGRAM))
process.env.MEDUSA_REWARDS_PROGRAM_FILE = programFile
process.env.MEDUSA_REWARDS_DAY_BATCH_SIZE = "25"

const REPO = path.resolve(__dirname, "../..")
const DAY1 = "2026-03-02"
const DAY2 = "2026-03-03"
const DAY3 = "2026-03-04"
const DAY4 = "2026-03-05"

type Row = Record<string, any>

/** Runs the `medusa-rewards simulate` bin on a scenario; returns its JSON output. */
function simulate(scenario: unknown): Row {
  const run = spawnSync(process.execPath, [path.join(REPO, "bin/medusa-rewards.js"), "simulate", "-"], {
    input: JSON.stringify(scenario),
    encoding: "utf8",
    cwd: REPO,
    maxBuffer: 256 * 1024 * 1024,
  })
  if (run.status !== 0) throw new Error(`simulate exited ${run.status}: ${run.stderr}`)
  return JSON.parse(run.stdout)
}

/** Normalizes a decimal string ("1.50" → "1.5") so equal amounts compare equal. */
function norm(value: unknown): unknown {
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)) {
    return value.includes(".") ? value.replace(/\.?0+$/, "") : value
  }
  if (Array.isArray(value)) return value.map(norm)
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Row).map(([k, v]) => [k, norm(v)]))
  }
  return value
}

/** Shuffles in place with a seeded generator (printed on failure through the test name). */
function shuffle<T>(items: T[], seed: number): T[] {
  let s = seed >>> 0
  const random = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32)
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j], items[i]]
  }
  return items
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

medusaIntegrationTestRunner({
  inApp: true,
  testSuite: ({ getContainer }) => {
    let container: MedusaContainer
    let store: SeededStore
    let rewards: RewardsModuleService

    const rows = async (sql: string, bindings: unknown[] = []): Promise<Row[]> =>
      (await (container.resolve(ContainerRegistrationKeys.PG_CONNECTION) as any).raw(sql, bindings)).rows

    const setDay = (day: string) => rewards.setClock(() => new Date(`${day}T10:00:00Z`))

    /** A connection of its own, outside the app's pool (the one that terminates the others). */
    async function outsider(): Promise<Client> {
      const [{ db }] = await rows(`select current_database() as db`)
      const client = new Client({
        host: process.env.DB_HOST || "localhost",
        port: Number(process.env.DB_PORT || 5432),
        user: process.env.DB_USERNAME || "postgres",
        password: process.env.DB_PASSWORD || "",
        database: db,
      })
      // never terminated by terminateAll (it spares its own session); ended by its test, and if a
      // failing test leaves it open, the runner's teardown ends it: without a listener that
      // would be an unhandled 'error'
      client.on("error", () => undefined)
      await client.connect()
      return client
    }

    /**
     * Ends every other session on the test database, as a restart of PostgreSQL does. The server
     * is shared (the other suites' databases, and other runs, live on it), so it cannot be
     * restarted from here; what a restart does to this app is exactly this: each pooled
     * connection dies with FATAL 57P01 (admin_shutdown), its open transaction is rolled back,
     * committed work stays, and the next query finds the connection gone and the pool opens a
     * new one. (A restart would also refuse connections for a moment: that is one more failed
     * delivery, which the redelivery below covers the same way.)
     */
    const terminateAll = (client: Client) =>
      client.query(
        `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()`
      )

    /** Member balances as the simulator prints them. */
    async function memberBalances(customerId: string) {
      const b = await rewards.getAccountBalances(`m:${customerId}`)
      const v = (asset: string) => b[asset] ?? "0"
      return {
        growth: v("GROWTH"),
        credit: v("CREDIT"),
        exitCap: v("EXIT_CAP"),
        quota: v("QUOTA"),
        weight: v("WEIGHT"),
        pointsLocked: v("POINTS_LOCKED"),
        points: v("POINTS"),
        debt: { growth: v("DEBT_GROWTH"), credit: v("DEBT_CREDIT"), points: v("DEBT_POINTS") },
      }
    }

    /** Every member's balances, level and star level, the pool and the closed days' reports: as simulated. */
    async function expectSimulated(scenario: { program: unknown; events: Row[] }, members: string[]) {
      const expected = simulate(scenario)
      for (const id of members) {
        const { level, starLevel, ...balances } = expected.members[id]
        expect({ id, ...(norm(await memberBalances(id)) as Row) }).toEqual({ id, ...(norm(balances) as Row) })
        const member = (await rewards.getMemberByCustomerId(id))!
        expect({ id, level: member.level, starLevel: member.star_level }).toEqual({ id, level, starLevel })
      }
      const summary = await rewards.getSummary()
      expect(norm(summary.growth)).toEqual(norm({ pool: expected.growth.pool, supply: expected.growth.supply, price: expected.growth.price }))
      const audit = await rewards.audit()
      expect(audit.violations).toEqual([])
      expect(audit.ok).toBe(true)
      return expected
    }

    /**
     * The scenario of what the inbox applied, in its order (RULES.md §1.5: a refund takes the
     * order to floor(E × share) of what it undid so far; a share of 1 undoes the rest).
     */
    async function recordedScenario(closes: Record<string, string[]> = {}): Promise<Row[]> {
      const applied = await rows(
        `select kind, day, payload from rewards_event where status = 'applied' and deleted_at is null order by id`
      )
      // a join names its referrer by referral code; the member row has the referrer it resolved to
      const referrers = new Map(
        (await rows(`select customer_id, referrer_id from rewards_member where deleted_at is null`)).map((m) => [m.customer_id, m.referrer_id])
      )
      const amounts = new Map<string, { amount: Dec; refunded: Dec; full: boolean }>()
      const events: Row[] = []
      let lastDay: string | null = null
      for (const e of applied) {
        if (lastDay && e.day !== lastDay) for (const d of closes[lastDay] ?? []) events.push({ type: "closeDay", day: d })
        lastDay = e.day
        const p = e.payload
        if (e.kind === "join") {
          events.push({ type: "join", day: e.day, member: p.customerId, referrer: referrers.get(p.customerId) ?? null })
        } else if (e.kind === "order") {
          events.push({ type: "order", day: e.day, id: p.orderId, member: p.customerId, amount: p.amount })
          amounts.set(p.orderId, { amount: new Dec(p.amount), refunded: new Dec(0), full: false })
        } else {
          const o = amounts.get(p.orderId)!
          if (o.full) continue
          const share = new Dec(p.refundedShare)
          if (share.gte(1)) {
            o.full = true
            events.push({ type: "refund", day: e.day, order: p.orderId })
            continue
          }
          const amount = o.amount.times(share).toDecimalPlaces(PROGRAM.scale, Dec.ROUND_DOWN).minus(o.refunded)
          if (amount.lte(0)) continue
          o.refunded = o.refunded.plus(amount)
          events.push({ type: "refund", day: e.day, order: p.orderId, amount: amount.toFixed() })
        }
      }
      if (lastDay) for (const d of closes[lastDay] ?? []) events.push({ type: "closeDay", day: d })
      return events
    }

    async function join(referrer?: string) {
      const metadata = referrer ? { referral_code: (await rewards.getMemberByCustomerId(referrer))!.referral_code } : undefined
      const { customer } = await createCustomer(container, { metadata })
      await joinMemberWorkflow(container).run({ input: { customer_id: customer.id } })
      return customer.id
    }

    const order = async (customerId: string, quantity: number) =>
      (await placeOrder(container, store, { customer_id: customerId, items: [{ variant_id: store.variant.id, quantity }] })).order_id

    const award = (orderId: string) => awardOrderWorkflow(container).run({ input: { order_id: orderId } })

    const block = (pattern: string) => rows(`insert into rewards_test_block (pattern) values (?)`, [pattern])
    const unblock = (pattern: string) => rows(`delete from rewards_test_block where pattern = ?`, [pattern])

    /** Lets the local event bus finish what it is delivering (the inbox is quiet for a while). */
    async function settle() {
      let last = ""
      for (let quiet = 0; quiet < 4; ) {
        await sleep(250)
        const [s] = await rows(`select count(*)::text || ':' || coalesce(max(updated_at)::text, '') as s from rewards_event`)
        if (s.s === last) quiet++
        else quiet = 0
        last = s.s
      }
    }

    beforeAll(async () => {
      container = getContainer()
      store = await seedStore(container, { currency: "cny", unitPrice: 100, shippingPrice: 10 })
      rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
      // the hold-back device (part of every test's database: created before the runner's snapshot)
      await rows(`create table rewards_test_block (pattern text primary key)`)
      await rows(`create function rewards_test_block() returns trigger language plpgsql as $$
                  begin
                    if exists (select 1 from rewards_test_block where new.key like pattern) then
                      raise exception 'rewards inbox unavailable (test hold on %)', new.key;
                    end if;
                    return new;
                  end $$`)
      await rows(`create trigger rewards_test_block before insert on rewards_event
                  for each row execute function rewards_test_block()`)
    })

    it("pays as simulated when a cancel and a refund come before the award, a refund comes three times or after the award, and an award a day late", async () => {
      setDay(DAY1)
      const a = await join()
      const b = await join(a)
      const c = await join(b)
      const o1 = await order(b, 6) // 600 eligible, shipping 10
      await award(o1)

      // the awards of o2..o5 do not get through (a lost or delayed order.placed)
      await block("order:%:placed")
      const o2 = await order(c, 2)
      const o3 = await order(a, 5)
      const o4 = await order(b, 3)
      const o5 = await order(c, 4)
      // o2 is canceled and o3 refunded 40 % before their awards are processed: the cancel and
      // the refund are delivered first (recorded, refused for now: the order has no rewards yet)
      await cancelOrder(container, o2)
      const cancelFirst = await reverseOrderWorkflow(container).run({ input: { order_id: o2, cause: { type: "cancel" } } })
      expect(cancelFirst.result.status).toBe("rejected")
      await refundPayment(container, o3, 204) // 204 of the 510 paid
      await reverseOrderWorkflow(container).run({ input: { order_id: o3, cause: { type: "refund" } } })
      // o5's refund (25 %) is itself held back and arrives only after the award
      await block(`order:${o5}:refund:%`)
      await refundPayment(container, o5, 102.5) // of 410
      await settle()
      expect(await rows(`select 1 from rewards_event where key like ?`, [`order:${o5}:%`])).toEqual([])

      // the awards arrive late (o4 even a day late); o5's refund delivery was lost meanwhile
      await unblock("order:%:placed")
      await unblock(`order:${o5}:refund:%`)
      await block(`order:${o4}:placed`)
      for (const o of [o2, o3, o5]) await award(o)
      // ... and the cancel and the refunds again, as a retrying bus delivers them; o5's for the
      // first time, after its award
      await reverseOrderWorkflow(container).run({ input: { order_id: o2, cause: { type: "cancel" } } })
      await reverseOrderWorkflow(container).run({ input: { order_id: o3, cause: { type: "refund" } } })
      await reverseOrderWorkflow(container).run({ input: { order_id: o5, cause: { type: "refund" } } })
      // o1 refunded 20 %: the same refund delivered three times, two of them at once
      await refundPayment(container, o1, 122) // of 610
      await reverseOrderWorkflow(container).run({ input: { order_id: o1, cause: { type: "refund" } } })
      await Promise.all([1, 2].map(() => reverseOrderWorkflow(container).run({ input: { order_id: o1, cause: { type: "refund" } } })))
      await settle()

      setDay(DAY2)
      expect(await rewards.closeDueDays()).toEqual([DAY1])
      await unblock(`order:${o4}:placed`)
      await award(o4)
      await award(o4)
      setDay(DAY3)
      expect(await rewards.closeDueDays()).toEqual([DAY2])

      // each order: one placed event, one award; every refund key once
      for (const o of [o1, o2, o3, o4, o5]) {
        const batches = await rows(`select key from rewards_transfer_batch where key like ? order by key`, [`order:${o}:award`])
        expect(batches).toHaveLength(1)
        expect(await rows(`select 1 from rewards_event where key = ?`, [`order:${o}:placed`])).toHaveLength(1)
      }
      const refunds = await rows(
        `select payload ->> 'orderId' as o, (payload ->> 'refundedShare')::numeric::text as share, status from rewards_event
          where kind = 'refund' order by id`
      )
      expect(refunds.filter((r) => r.status === "applied").map((r) => [r.o, norm(r.share)])).toEqual([
        [o2, "1"], // the cancellation, reversed at the award (the earlier cancel was refused)
        [o3, "0.4"],
        [o5, "0.25"], // at the award
        [o5, "0.25"], // the refund itself, later: nothing left to reverse
        [o1, "0.2"],
      ])
      expect(refunds.filter((r) => r.status === "rejected").map((r) => r.o)).toEqual([o2, o3])
      const [{ r: o5refunded }] = await rows(`select (refunded_before + refunded_after)::text as r from rewards_order where order_id = ?`, [o5])
      expect(norm(o5refunded)).toBe("100")

      await expectSimulated(
        {
          program: PROGRAM,
          events: [
            { type: "join", day: DAY1, member: a, referrer: null },
            { type: "join", day: DAY1, member: b, referrer: a },
            { type: "join", day: DAY1, member: c, referrer: b },
            { type: "order", day: DAY1, id: o1, member: b, amount: "600" },
            { type: "order", day: DAY1, id: o2, member: c, amount: "200" },
            { type: "refund", day: DAY1, order: o2 },
            { type: "order", day: DAY1, id: o3, member: a, amount: "500" },
            { type: "refund", day: DAY1, order: o3, amount: "200" },
            { type: "order", day: DAY1, id: o5, member: c, amount: "400" },
            { type: "refund", day: DAY1, order: o5, amount: "100" },
            { type: "refund", day: DAY1, order: o1, amount: "120" },
            { type: "closeDay", day: DAY1 },
            { type: "order", day: DAY2, id: o4, member: b, amount: "300" },
            { type: "closeDay", day: DAY2 },
          ],
        },
        [a, b, c]
      )
    })

    it("pays each order once when 1 200 duplicated, shuffled deliveries of its events arrive at once", async () => {
      setDay(DAY1)
      const m0 = await join()
      const m1 = await join(m0)
      const m2 = await join(m1)
      const m3 = await join(m0)
      const buyers = [m0, m1, m2, m3, m1, m2]
      // placed while the inbox refuses awards: every order.placed of the checkout is lost
      await block("order:%:placed")
      const orders: string[] = []
      for (let i = 0; i < buyers.length; i++) orders.push(await order(buyers[i], 2 + i))
      const [, canceled, refunded, refundedTwice] = orders
      await cancelOrder(container, canceled) // its order.canceled arrives before any award
      await refundPayment(container, refunded, 154) // of the 410 paid
      await refundPayment(container, refundedTwice, 102) // of 510
      await refundPayment(container, refundedTwice, 153)
      await settle()
      await unblock("order:%:placed")

      const payment = async (o: string) => (await getOrderPayments(container, o))[0].id as string
      type Delivery = { name: string; run: () => Promise<unknown> }
      const args = (name: string, data: Row) => ({ event: { name, data }, container, pluginOptions: {} }) as any
      const deliveries: Delivery[] = []
      for (const o of orders) {
        for (let i = 0; i < 150; i++) deliveries.push({ name: "order.placed", run: () => orderPlacedHandler(args("order.placed", { id: o })) })
      }
      for (let i = 0; i < 100; i++) {
        deliveries.push({ name: "order.canceled", run: () => orderCanceledHandler(args("order.canceled", { id: canceled })) })
      }
      const refundedPayment = await payment(refunded)
      const twicePayment = await payment(refundedTwice)
      for (let i = 0; i < 100; i++) {
        deliveries.push({ name: "payment.refunded", run: () => paymentRefundedHandler(args("payment.refunded", { id: refundedPayment })) })
        deliveries.push({ name: "payment.refunded", run: () => paymentRefundedHandler(args("payment.refunded", { id: twicePayment })) })
      }
      expect(deliveries.length).toBe(1200)
      shuffle(deliveries, 20261125)

      const started = Date.now()
      let results = await Promise.allSettled(deliveries.map((d) => d.run()))
      let failed = deliveries.filter((_, i) => results[i].status === "rejected")
      process.stdout.write(`1200 deliveries in ${Date.now() - started} ms, ${failed.length} failed and delivered again\n`)
      // what failed (a pool timeout under the burst) is delivered again, as a retrying bus does
      for (let round = 0; failed.length > 0 && round < 5; round++) {
        results = await Promise.allSettled(failed.map((d) => d.run()))
        failed = failed.filter((_, i) => results[i].status === "rejected")
      }
      expect(failed).toEqual([])
      await settle()

      for (const o of orders) {
        expect(await rows(`select key from rewards_transfer_batch where key like ?`, [`order:${o}:award`])).toHaveLength(1)
        expect(await rows(`select status from rewards_event where key = ?`, [`order:${o}:placed`])).toEqual([{ status: "applied" }])
      }
      // the cancel came before the award (refused), the award reversed it in full
      const [canceledOrder] = await rows(`select amount::text as amount, (refunded_before + refunded_after)::text as r from rewards_order where order_id = ?`, [canceled])
      expect(norm(canceledOrder.r)).toBe(norm(canceledOrder.amount))

      setDay(DAY2)
      expect(await rewards.closeDueDays()).toEqual([DAY1])
      const scenario = await recordedScenario({ [DAY1]: [DAY1] })
      expect(scenario.filter((e) => e.type === "order")).toHaveLength(orders.length)
      expect(scenario.filter((e) => e.type === "refund").map((e) => e.order).sort()).toEqual([canceled, refunded, refundedTwice].sort())
      await expectSimulated({ program: PROGRAM, events: scenario }, [m0, m1, m2, m3])
    }, 900_000)

    it("loses no award and pays none twice when every database connection is terminated again and again during awards", async () => {
      setDay(DAY1)
      const members: string[] = []
      for (let i = 0; i < 6; i++) members.push(await join(i === 0 ? undefined : members[Math.floor((i - 1) / 2)]))
      await block("order:%:placed")
      const orders: string[] = []
      for (let i = 0; i < 18; i++) orders.push(await order(members[i % members.length], 1 + (i % 5)))
      await settle()
      await unblock("order:%:placed")

      // deliveries: each order three times, all at once, while the connections keep dying
      const killer = await outsider()
      let killing = true
      let kills = 0
      const chaos = (async () => {
        while (killing) {
          // about as often as an award takes, so some commit and others die mid-transaction
          await sleep(250 + Math.floor(Math.random() * 350))
          kills += (await terminateAll(killer)).rows[0].n > 0 ? 1 : 0
        }
      })()
      const deliveries = shuffle(orders.flatMap((o) => [o, o, o]), 7)
      let pending = deliveries
      let failures = 0
      const timings: string[] = []
      let deliveredDuringChaos = 0
      for (let round = 0; pending.length > 0 && round < 30; round++) {
        if (round === 3) killing = false // the database is back for good
        const t = Date.now()
        const results = await Promise.allSettled(pending.map((o) => award(o)))
        const failed = pending.filter((_, i) => results[i].status === "rejected")
        timings.push(`${pending.length}→${failed.length} in ${Date.now() - t} ms`)
        if (killing) deliveredDuringChaos += pending.length - failed.length
        failures += failed.length
        pending = failed
      }
      killing = false
      await chaos.finally(() => killer.end())
      await sleep(500) // the app's pool drops its dead connections
      process.stdout.write(`awards: ${kills} terminations, ${failures} failed deliveries delivered again (${timings.join("; ")})\n`)
      expect(pending).toEqual([])
      expect(kills).toBeGreaterThanOrEqual(3)
      expect(failures).toBeGreaterThan(0) // the faults did hit the awards
      expect(deliveredDuringChaos).toBeGreaterThan(0) // ... and awards committed in between

      for (const o of orders) {
        expect(await rows(`select key from rewards_transfer_batch where key like ?`, [`order:${o}:%`])).toEqual([{ key: `order:${o}:award` }])
        expect(await rows(`select status from rewards_event where key = ?`, [`order:${o}:placed`])).toEqual([{ status: "applied" }])
      }
      setDay(DAY2)
      expect(await rewards.closeDueDays()).toEqual([DAY1])
      const scenario = await recordedScenario({ [DAY1]: [DAY1] })
      expect(scenario.filter((e) => e.type === "order")).toHaveLength(orders.length)
      await expectSimulated({ program: PROGRAM, events: scenario }, members)
    }, 600_000)

    it("finishes a day close interrupted by terminated connections again and again, paying nothing twice", async () => {
      // a member base imported on DAY1 (a binary tree of 600 members with orders); DAY1..DAY3 are
      // due: the close is well over a hundred commits
      const base = (): ImportItem[] => {
        const items: ImportItem[] = []
        for (let i = 0; i < 600; i++) {
          items.push({ join: { customerId: `cus_${i}`, referrerId: i === 0 ? null : `cus_${Math.floor((i - 1) / 2)}` } })
          items.push({ order: { orderId: `ord_${i}`, customerId: `cus_${i}`, amount: String(150 + (i % 7) * 60) } })
        }
        return items
      }
      const ledger = async () => ({
        transfers: await rows(
          `select b.key, t.asset, t.debit, t.credit, t.amount::text, t.reason
             from rewards_transfer t join rewards_transfer_batch b on b.id = t.batch_id order by b.key, t.id`
        ),
        balances: await rows(`select account, asset, amount::text from rewards_balance where amount <> 0 order by account, asset`),
        tranches: await rows(`select order_id, remaining::text, released_on from rewards_tranche order by seq`),
        members: await rows(`select customer_id, team_performance::text, star_level, level from rewards_member order by seq`),
        runs: await rows(`select day, step, report from rewards_day_run order by day`),
        program: await rows(`select last_closed_day, growth_price::text from rewards_program`),
      })

      setDay(DAY1)
      await rewards.importBatch("import:faults", base())
      setDay(DAY4) // DAY1, DAY2 and DAY3 are due

      const killer = await outsider()
      // bookkeeping on the outsider's connection: the app's idle pooled connections are dead
      // right after a termination, until its driver notices
      const dayBatches = async () =>
        Number((await killer.query(`select count(*)::int as n from rewards_transfer_batch where key like 'day:%'`)).rows[0].n)
      let interrupted = 0
      try {
        for (let attempt = 0; attempt < 40; attempt++) {
          const before = await dayBatches()
          const run = rewards.closeDueDays().then(
            (days) => ({ days, error: null as unknown }),
            (error) => ({ days: [] as string[], error })
          )
          if (interrupted < 4) {
            // terminate as soon as the close has committed at least one more batch
            for (let i = 0; i < 400; i++) {
              if ((await dayBatches()) > before) break
              await sleep(5)
            }
            await terminateAll(killer)
          }
          const result = await run
          if (result.error) {
            interrupted++
            await sleep(100) // the next tick
            continue
          }
          const [{ last }] = (await killer.query(`select last_closed_day as last from rewards_program`)).rows
          if (last === DAY3) break
        }
      } finally {
        await killer.end()
      }
      await sleep(500) // the app's pool drops its dead connections
      process.stdout.write(`day close: interrupted ${interrupted} times, resumed to the end\n`)
      expect(interrupted).toBeGreaterThanOrEqual(3)
      expect(await rows(`select day, step from rewards_day_run order by day`)).toEqual([
        { day: DAY1, step: "done" },
        { day: DAY2, step: "done" },
        { day: DAY3, step: "done" },
      ])
      const resumed = await ledger()
      expect((await rewards.audit()).violations).toEqual([])

      // the same days closed without a fault give the same ledger, transfer for transfer
      await rows(`truncate rewards_transfer, rewards_transfer_batch, rewards_balance, rewards_tranche, rewards_member,
                  rewards_order, rewards_day_run, rewards_day_sales, rewards_event, rewards_program, rewards_config_version`)
      setDay(DAY1)
      await rewards.importBatch("import:faults", base())
      setDay(DAY4)
      expect(await rewards.closeDueDays()).toEqual([DAY1, DAY2, DAY3])
      const clean = await ledger()
      expect(resumed.program).toEqual(clean.program)
      expect(resumed.runs).toEqual(clean.runs)
      expect(resumed.tranches).toEqual(clean.tranches)
      expect(resumed.members).toEqual(clean.members)
      expect(resumed.balances).toEqual(clean.balances)
      expect(resumed.transfers.length).toBe(clean.transfers.length)
      expect(resumed.transfers).toEqual(clean.transfers)
    })
  },
})
