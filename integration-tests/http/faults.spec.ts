/**
 * Faults of delivery and of the database, in a real store (the repository as a Medusa app) on a
 * real PostgreSQL. Whatever arrives twice, late or out of order, and whenever the database
 * drops its connections, the ledger must be exactly what `medusa-rewards simulate` (or the
 * engine closing the same days without a fault) computes for the same events, and the audit
 * (`rewards.audit()`, RULES.md §1.8) must pass:
 * 1. a cancellation and a refund delivered before their order's award, the same refund
 *    delivered three times (two at once), a refund delivered only after the award, an award
 *    delivered a day late;
 * 2. 1 200 duplicated and shuffled order.placed / order.canceled / payment.refunded deliveries
 *    at once, through the plugin's own subscribers;
 * 3. every database connection of the app terminated again and again while awards and
 *    reversals are delivered (failed deliveries are delivered again, as the Redis event bus
 *    does with `jobOptions.attempts`);
 * 4. the same during a three-day close (a failed close is run again, as the next tick does).
 *
 * No fault test depends on timing: faults are injected when the database shows an open
 * transaction of the app (or a close's progress reaches a target) and keep coming until a
 * goal is reached (faults that failed deliveries, awards committed between them), within a
 * generous deadline; then only the final state is checked.
 *
 * How a delivery is held back: a trigger (created here, outside src/) makes the database refuse
 * inbox rows whose key matches a pattern in `rewards_test_block`, so the automatic delivery by
 * the local event bus fails, as a lost event would; the test delivers it later itself.
 */
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { Client } from "pg"
import { Dec } from "../../src/engine/decimal"
import { REWARDS_MODULE } from "../../src/modules/rewards"
import type RewardsModuleService from "../../src/modules/rewards/service"
import type { ImportItem } from "../../src/modules/rewards/types"
import { seededRandom } from "../../src/simulator/random"
import orderCanceledHandler from "../../src/subscribers/order-canceled"
import orderPlacedHandler from "../../src/subscribers/order-placed"
import paymentRefundedHandler from "../../src/subscribers/payment-refunded"
import { awardOrderWorkflow, joinMemberWorkflow, reverseOrderWorkflow } from "../../src/workflows"
import { sleep, waitFor } from "../../scripts/lib/processes"
import {
  useProgram,
  auditAfterEachTest,
  cancelOrder,
  createCustomer,
  getOrderPayments,
  placeOrder,
  refundPayment,
  seedStore,
  type SeededStore,
} from "../helpers"
import { expectSameLedger, ledgerSnapshot, memberBalances, norm, simulate } from "../helpers/ledger"

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
useProgram("faults", PROGRAM)
process.env.MEDUSA_REWARDS_DAY_BATCH_SIZE = "5"

const DAY1 = "2026-03-02"
const DAY2 = "2026-03-03"
const DAY3 = "2026-03-04"
const DAY4 = "2026-03-05"
/** How long a fault test may take to reach its goal before it gives up (a liveness bound only). */
const FAULT_DEADLINE_MS = 200_000

type Row = Record<string, any>

/** Shuffles in place with a seeded generator. */
function shuffle<T>(items: T[], seed: number): T[] {
  const random = seededRandom(seed)
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[items[i], items[j]] = [items[j], items[i]]
  }
  return items
}

/** A refunded share as Medusa's MathBN computes it: 20 decimal places, half up. */
const ratio = (refunded: number, paid: number) => new Dec(refunded).div(paid).toDecimalPlaces(20, Dec.ROUND_HALF_UP).toFixed()

/** What a store must end up with for one order: its eligible amount and the share undone. */
type Truth = { order: string; amount: string; share: string }

medusaIntegrationTestRunner({
  inApp: true,
  testSuite: ({ getContainer }) => {
    auditAfterEachTest(getContainer)
    let container: MedusaContainer
    let store: SeededStore
    let rewards: RewardsModuleService

    const rows = async (sql: string, bindings: unknown[] = []): Promise<Row[]> =>
      (await (container.resolve(ContainerRegistrationKeys.PG_CONNECTION) as any).raw(sql, bindings)).rows

    const setDay = (day: string) => rewards.setClock(() => new Date(`${day}T10:00:00Z`))

    /** A connection of its own, outside the app's pool: it terminates the others and counts. */
    async function outsider(): Promise<Client> {
      const [{ db }] = await rows(`select current_database() as db`)
      const client = new Client({
        host: process.env.DB_HOST || "localhost",
        port: Number(process.env.DB_PORT || 5432),
        user: process.env.DB_USERNAME || "postgres",
        password: process.env.DB_PASSWORD || "",
        database: db,
      })
      // never terminated by terminateAll (it spares its own session); if a failing test leaves it
      // open, the runner's teardown ends it: without a listener that would be an unhandled 'error'
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
     * delivery, which the redelivery covers the same way.)
     */
    const terminateAll = async (client: Client): Promise<number> =>
      (
        await client.query(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`
        )
      ).rows[0].n

    /** Whether the app has a transaction open right now (a fault then fails it). */
    const transactionOpen = async (client: Client): Promise<boolean> =>
      (
        await client.query(
          `select exists (select 1 from pg_stat_activity
             where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'
               and xact_start is not null and state <> 'idle') as open`
        )
      ).rows[0].open

    /** After faults: the app's pool answers again (its dead connections are replaced on use). */
    const appBack = () =>
      waitFor("the app's database pool answering", () => rows(`select 1`).then(() => true, () => false), { timeoutMs: 30_000, intervalMs: 50 })

    /** Every member's balances, level and star level, the pool and the closed days' reports: as simulated. */
    async function expectSimulated(scenario: { program: unknown; events: Row[] }, members: string[]) {
      const expected = simulate(scenario)
      for (const id of members) {
        const { level, starLevel, ...balances } = expected.members[id]
        expect({ id, ...(norm(await memberBalances(rewards, id)) as Row) }).toEqual({ id, ...(norm(balances) as Row) })
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

    /**
     * Each order paid once, with its true amount and undone share: one placed event applied, one
     * award batch and no other batch of the order but its reversal's; the inbox's amounts and
     * the largest share it applied equal what Medusa says.
     */
    async function expectOncePerOrder(truths: Truth[]) {
      for (const t of truths) {
        expect(await rows(`select status from rewards_event where key = ?`, [`order:${t.order}:placed`])).toEqual([{ status: "applied" }])
        expect(await rows(`select key from rewards_transfer_batch where key = ?`, [`order:${t.order}:award`])).toHaveLength(1)
        const [o] = await rows(
          `select amount::text as amount,
                  (select max((payload ->> 'refundedShare')::numeric)::text from rewards_event
                    where kind = 'refund' and status = 'applied' and payload ->> 'orderId' = o.order_id) as share
             from rewards_order o where order_id = ?`,
          [t.order]
        )
        expect(norm({ order: t.order, amount: o.amount, share: o.share ?? "0" })).toEqual(norm(t))
      }
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

    /** Deliveries of events to the plugin's own subscribers, as the event bus makes them. */
    type Delivery = { name: string; run: () => Promise<unknown> }
    const deliveryTo = (name: string, handler: (args: any) => Promise<unknown>, data: Row): Delivery => ({
      name,
      run: () => handler({ event: { name, data }, container, pluginOptions: {} }),
    })
    const placed = (orderId: string) => deliveryTo("order.placed", orderPlacedHandler, { id: orderId })
    const canceled = (orderId: string) => deliveryTo("order.canceled", orderCanceledHandler, { id: orderId })
    const refunded = async (orderId: string) =>
      deliveryTo("payment.refunded", paymentRefundedHandler, { id: (await getOrderPayments(container, orderId))[0].id })

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

      await expectOncePerOrder([
        { order: o1, amount: "600", share: "0.2" },
        { order: o2, amount: "200", share: "1" },
        { order: o3, amount: "500", share: "0.4" },
        { order: o4, amount: "300", share: "0" },
        { order: o5, amount: "400", share: "0.25" },
      ])
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
      const [, canceledOrder, refundedOrder, refundedTwice] = orders
      await cancelOrder(container, canceledOrder) // its order.canceled arrives before any award
      await refundPayment(container, refundedOrder, 154) // of the 410 paid
      await refundPayment(container, refundedTwice, 102) // of 510
      await refundPayment(container, refundedTwice, 153)
      await settle()
      await unblock("order:%:placed")

      const deliveries: Delivery[] = []
      for (const o of orders) for (let i = 0; i < 150; i++) deliveries.push(placed(o))
      for (let i = 0; i < 100; i++) deliveries.push(canceled(canceledOrder))
      const refundA = await refunded(refundedOrder)
      const refundB = await refunded(refundedTwice)
      for (let i = 0; i < 100; i++) deliveries.push(refundA, refundB)
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

      await expectOncePerOrder(
        orders.map((o, i) => ({
          order: o,
          amount: String((2 + i) * 100),
          // refunded share of what was paid (items + 10 shipping)
          share: o === canceledOrder ? "1" : o === refundedOrder ? ratio(154, 410) : o === refundedTwice ? "0.5" : "0",
        }))
      )
      setDay(DAY2)
      expect(await rewards.closeDueDays()).toEqual([DAY1])
      const scenario = await recordedScenario({ [DAY1]: [DAY1] })
      expect(scenario.filter((e) => e.type === "order")).toHaveLength(orders.length)
      await expectSimulated({ program: PROGRAM, events: scenario }, [m0, m1, m2, m3])
    })

    it("loses no award and pays none twice while every database connection is terminated again and again during deliveries", async () => {
      setDay(DAY1)
      const members: string[] = []
      for (let i = 0; i < 6; i++) members.push(await join(i === 0 ? undefined : members[Math.floor((i - 1) / 2)]))
      await block("order:%:placed")
      const orders: string[] = []
      for (let i = 0; i < 16; i++) orders.push(await order(members[i % members.length], 1 + (i % 5)))
      // some are undone before their awards are delivered: the award reverses them (its own key)
      const [c1, c2, r1, r2, r3] = orders
      await cancelOrder(container, c1)
      await cancelOrder(container, c2)
      const paid = (i: number) => (1 + (i % 5)) * 100 + 10
      await refundPayment(container, r1, paid(2) / 2) // half of what was paid
      await refundPayment(container, r2, paid(3) / 4)
      await refundPayment(container, r3, paid(4) / 5)
      await settle()
      await unblock("order:%:placed")

      // each order's award delivered three times and each reversal twice, all at once, each
      // delivered again after a failure (as a retrying bus does) until it succeeds
      const deliveries = shuffle(
        [
          ...orders.flatMap((o) => [placed(o), placed(o), placed(o)]),
          ...[c1, c2].flatMap((o) => [canceled(o), canceled(o)]),
          ...(await Promise.all([r1, r2, r3].map(refunded))).flatMap((d) => [d, d]),
        ],
        7
      )
      const stats = { hits: 0, terminated: 0, failures: 0, awardedAtFirstFault: -1, awardedAtLastFault: 0 }
      const random = seededRandom(11)
      const deliver = async (d: Delivery) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await d.run()
          } catch (e) {
            stats.failures++
            if (attempt >= 500) throw e
            await sleep(20 + Math.floor(random() * 80))
          }
        }
      }

      const killer = await outsider()
      const awarded = async () =>
        Number(
          (
            await killer.query(`select count(*)::int as n from rewards_transfer_batch where key = any($1::text[])`, [
              orders.map((o) => `order:${o}:award`),
            ])
          ).rows[0].n
        )
      let faulting = true
      // while the faults go on, duplicates keep arriving (a redelivering bus), so there is always
      // a transaction to break, also once every award is in
      const redeliveries = [0, 1].map(async () => {
        while (faulting) await deliver(deliveries[Math.floor(random() * deliveries.length)])
      })
      const burst = Promise.all(deliveries.map(deliver))
      const GOAL = { hits: 8, failures: 8 }
      try {
        const deadline = Date.now() + FAULT_DEADLINE_MS
        for (;;) {
          const done = await awarded()
          if (stats.hits >= GOAL.hits && stats.failures >= GOAL.failures && done === orders.length) break
          if (Date.now() > deadline) throw new Error(`fault injection did not reach its goal: ${JSON.stringify({ ...stats, awarded: done })}`)
          if (!(await transactionOpen(killer))) {
            await sleep(2)
            continue
          }
          stats.terminated += await terminateAll(killer)
          stats.hits++
          if (stats.awardedAtFirstFault < 0) stats.awardedAtFirstFault = done
          stats.awardedAtLastFault = done
          // the next fault only once another award went in (or all are in): faults and progress
          // interleave whatever the machine's speed
          await waitFor("an award committed after a fault", async () => (await awarded()) > done || done === orders.length, {
            timeoutMs: Math.max(1, deadline - Date.now()),
            intervalMs: 5,
          })
        }
      } finally {
        faulting = false
        await Promise.all(redeliveries)
        await burst
        await killer.end()
      }
      process.stdout.write(`awards under faults: ${JSON.stringify(stats)}\n`)
      await appBack()

      const share = (i: number, refund: number) => ratio(refund, paid(i))
      await expectOncePerOrder(
        orders.map((o, i) => ({
          order: o,
          amount: String((1 + (i % 5)) * 100),
          share: o === c1 || o === c2 ? "1" : o === r1 ? share(2, paid(2) / 2) : o === r2 ? share(3, paid(3) / 4) : o === r3 ? share(4, paid(4) / 5) : "0",
        }))
      )
      setDay(DAY2)
      expect(await rewards.closeDueDays()).toEqual([DAY1])
      const scenario = await recordedScenario({ [DAY1]: [DAY1] })
      expect(scenario.filter((e) => e.type === "order")).toHaveLength(orders.length)
      await expectSimulated({ program: PROGRAM, events: scenario }, members)
    })

    it("finishes a day close interrupted by terminated connections again and again, paying nothing twice", async () => {
      // a member base imported on DAY1 (a binary tree of 300 members with orders); DAY1..DAY3 are
      // due: in batches of 5 the close is about two hundred commits
      const base = (): ImportItem[] => {
        const items: ImportItem[] = []
        for (let i = 0; i < 300; i++) {
          items.push({ join: { customerId: `cus_${i}`, referrerId: i === 0 ? null : `cus_${Math.floor((i - 1) / 2)}` } })
          items.push({ order: { orderId: `ord_${i}`, customerId: `cus_${i}`, amount: String(150 + (i % 7) * 60) } })
        }
        return items
      }
      const tables = (await rows(`select tablename from pg_tables where schemaname = 'public' and tablename like 'rewards\\_%'`))
        .map((t) => `"${t.tablename}"`)
        .filter((t) => t !== `"rewards_test_block"`)
      const start = async () => {
        await rows(`truncate ${tables.join(", ")}`)
        setDay(DAY1)
        await rewards.importBatch("import:faults", base())
        setDay(DAY4) // DAY1, DAY2 and DAY3 are due
      }
      // progress of the close: day runs started plus day batches committed (each a commit)
      const PROGRESS = `select (select count(*)::int from rewards_day_run) + (select count(*)::int from rewards_transfer_batch where key like 'day:%') as p`

      // first without a fault: the ledger to reach, and how many commits the close makes
      await start()
      expect(await rewards.closeDueDays()).toEqual([DAY1, DAY2, DAY3])
      const clean = await ledgerSnapshot((sql) => rows(sql))
      const [{ p: total }] = await rows(PROGRESS)
      expect(total).toBeGreaterThan(150)

      await start()
      const killer = await outsider()
      // bookkeeping on the outsider's connection: right after a fault the app's pool is dead
      const progress = async () => Number((await killer.query(PROGRESS)).rows[0].p)
      const random = seededRandom(20261203)
      const MARGIN = 10 // faults strike at least this many commits before the end
      const GOAL = 6
      const interruptions: number[] = []
      const lastClosed = async () => (await killer.query(`select last_closed_day as d from rewards_program`)).rows[0].d as string | null
      try {
        const deadline = Date.now() + FAULT_DEADLINE_MS
        while ((await lastClosed()) !== DAY3) {
          if (Date.now() > deadline) throw new Error(`the close did not finish under faults: interrupted at ${interruptions.join(", ")}`)
          const now = await progress()
          // the next fault at a random commit ahead, spread so that GOAL faults fit before the end
          const room = total - MARGIN - now
          const target = interruptions.length < GOAL && room > 0 ? now + 1 + Math.floor(random() * Math.max(1, room / (GOAL - interruptions.length))) : null
          let finished = false
          const run = rewards.closeDueDays().then(
            (days) => ({ days, error: null as unknown }),
            (error) => ({ days: [] as string[], error })
          )
          run.then(() => (finished = true))
          if (target !== null) {
            await waitFor("the close reaching its fault point", async () => finished || (await progress()) >= target, {
              timeoutMs: Math.max(1, deadline - Date.now()),
              intervalMs: 2,
            })
            if (!finished) await terminateAll(killer)
          }
          const result = await run
          if (result.error) {
            interruptions.push(await progress())
            await appBack()
          }
        }
      } finally {
        await killer.end()
      }
      process.stdout.write(`day close: interrupted at commits ${interruptions.join(", ")} of ${total}, resumed to the end\n`)
      expect(interruptions.length).toBeGreaterThanOrEqual(GOAL)
      await appBack()
      expect(await rows(`select day, step from rewards_day_run order by day`)).toEqual([
        { day: DAY1, step: "done" },
        { day: DAY2, step: "done" },
        { day: DAY3, step: "done" },
      ])
      expect((await rewards.audit()).violations).toEqual([])
      // the same days closed without a fault gave the same ledger, transfer for transfer
      expectSameLedger(await ledgerSnapshot((sql) => rows(sql)), clean)
    })
  },
})
