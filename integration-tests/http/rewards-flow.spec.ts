/**
 * The rewards module inside a real Medusa store on a real PostgreSQL: customers join through
 * `customer.created`, checkouts complete through Medusa's own workflows, an order is canceled
 * and another refunded in part; the ledger in the database must equal what
 * `medusa-rewards simulate` computes for the same events (one engine), a duplicated and
 * concurrent `order.placed` pays once, and bad input is recorded with its reason and writes
 * nothing.
 */
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MathBN, Modules, PromotionActions } from "@medusajs/framework/utils"
import { createPromotionsWorkflow, updateCartPromotionsWorkflow } from "@medusajs/medusa/core-flows"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { Dec, fromAtoms } from "../../src/engine/decimal"
import { REWARDS_MODULE } from "../../src/modules/rewards"
import type RewardsModuleService from "../../src/modules/rewards/service"
import { PostgresRewardsStore } from "../../src/modules/rewards/postgres-store"
import { DuplicateBatchError } from "../../src/engine/store"
import { SYSTEM, type TransferBatch } from "../../src/engine/ledger"
import { awardOrderWorkflow, joinMemberWorkflow, reverseOrderWorkflow } from "../../src/workflows"
import {
  useProgram,
  rowsOf,
  auditAfterEachTest,
  addLineItems,
  addShippingMethod,
  cancelOrder,
  completeCart,
  createCart,
  createCustomer,
  holdSubscriber,
  initiatePayment,
  keptFiguresDifferingFromOrders,
  placeOrder,
  refundPayment,
  seedStore,
  type SeededStore,
} from "../helpers"
import { memberBalances, norm, simulate } from "../helpers/ledger"

// The program of this suite: every scheme on, in UTC so business days are plain dates.
const PROGRAM = {
  currency: "CNY",
  timezone: "UTC",
  scale: 4,
  schemes: {
    growth: { enabled: true, poolRate: "0.30", buyerIssueRate: "0.70" },
    cycle: { enabled: true, weightUnit: "100", tiers: [{ name: "V1", min: 1, max: null, rate: "0.05" }] },
    release: { enabled: true, levels: [{ threshold: "150", multiple: "2.5" }] },
  },
}
useProgram("flow", PROGRAM)

const DAY1 = "2026-03-02"
const DAY2 = "2026-03-03"
const DAY3 = "2026-03-04"

type Row = Record<string, any>

medusaIntegrationTestRunner({
  inApp: true,
  testSuite: ({ getContainer }) => {
    auditAfterEachTest(getContainer)
    let container: MedusaContainer
    let store: SeededStore
    let rewards: RewardsModuleService

    const setDay = (day: string) => rewards.setClock(() => new Date(`${day}T10:00:00Z`))

    async function join(metadata?: Record<string, unknown>) {
      const { customer } = await createCustomer(container, { metadata })
      // the subscriber does the same; running it here makes the order of events deterministic
      await joinMemberWorkflow(container).run({ input: { customer_id: customer.id } })
      return customer
    }

    async function buy(customerId: string, quantity: number) {
      const { order_id } = await placeOrder(container, store, {
        customer_id: customerId,
        items: [{ variant_id: store.variant.id, quantity }],
      })
      await awardOrderWorkflow(container).run({ input: { order_id } })
      return order_id
    }

    beforeAll(async () => {
      container = getContainer()
      store = await seedStore(container, { currency: "cny", unitPrice: 100, shippingPrice: 10 })
      rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
    })

    it("issues, reverses and pays out rewards exactly as the simulator does for the same events", async () => {
      setDay(DAY1)
      const a = await join()
      const codeA = (await rewards.getMemberByCustomerId(a.id))!.referral_code
      expect(codeA).toMatch(/^[2-9A-HJ-NP-Z]{8}$/)
      const b = await join({ referral_code: codeA.toLowerCase() })
      const codeB = (await rewards.getMemberByCustomerId(b.id))!.referral_code
      const c = await join({ referral_code: codeB })
      expect((await rewards.getMemberByCustomerId(b.id))!.referrer_id).toBe(a.id)
      expect((await rewards.getMemberByCustomerId(c.id))!.referrer_id).toBe(b.id)

      const o1 = await buy(b.id, 6) // items 600, shipping 10: eligible 600 (RULES.md §1.2)
      const o2 = await buy(c.id, 2)
      const [award] = await rowsOf(container, `select amount::text as amount, status from rewards_order where order_id = ?`, [o1])
      expect(norm(award)).toEqual({ amount: "600", status: "matured" })

      setDay(DAY2)
      expect(await rewards.closeDueDays()).toEqual([DAY1])
      const o3 = await buy(a.id, 5)
      await refundPayment(container, o1, 244) // 244 of the 610 paid: 40 % of the order
      await reverseOrderWorkflow(container).run({ input: { order_id: o1, cause: { type: "refund" } } })
      await cancelOrder(container, o2)
      await reverseOrderWorkflow(container).run({ input: { order_id: o2, cause: { type: "cancel" } } })

      setDay(DAY3)
      expect(await rewards.closeDueDays()).toEqual([DAY2])
      expect(await rewards.closeDueDays()).toEqual([]) // a closed day is not closed again

      const events = await rowsOf(container, `select key, status, reason from rewards_event order by id`)
      expect(events.filter((e) => e.status !== "applied")).toEqual([])
      const [refunded] = await rowsOf(container, `select refunded_after::text as r from rewards_order where order_id = ?`, [o1])
      expect(norm(refunded.r)).toBe("240")

      const expected = simulate({
        program: PROGRAM,
        events: [
          { type: "join", day: DAY1, member: a.id, referrer: null },
          { type: "join", day: DAY1, member: b.id, referrer: a.id },
          { type: "join", day: DAY1, member: c.id, referrer: b.id },
          { type: "order", day: DAY1, id: o1, member: b.id, amount: "600" },
          { type: "order", day: DAY1, id: o2, member: c.id, amount: "200" },
          { type: "closeDay", day: DAY1 },
          { type: "order", day: DAY2, id: o3, member: a.id, amount: "500" },
          { type: "refund", day: DAY2, order: o1, amount: "240" },
          { type: "refund", day: DAY2, order: o2 },
          { type: "closeDay", day: DAY2 },
        ],
      })
      for (const id of [a.id, b.id, c.id]) {
        const { level, starLevel, ...balances } = expected.members[id]
        expect({ id, ...norm(await memberBalances(rewards, id)) as Row }).toEqual({ id, ...norm(balances) as Row })
        const member = (await rewards.getMemberByCustomerId(id))!
        expect({ id, level: member.level, starLevel: member.star_level }).toEqual({ id, level, starLevel })
      }
      // the scenario is not trivial: every scheme paid something
      expect(Number(expected.growth.pool)).toBeGreaterThan(0)
      expect(Number(expected.days[0].cycle.paid)).toBeGreaterThan(0)
      expect(Number(expected.days[1].release.base)).toBeGreaterThan(0)

      const summary = await rewards.getSummary()
      expect(norm(summary.growth)).toEqual(
        norm({ pool: expected.growth.pool, supply: expected.growth.supply, price: expected.growth.price })
      )
      expect(summary.lastClosedDay).toBe(DAY2)

      const reports = await rowsOf(container, `select day, report from rewards_day_run where step = 'done' order by day`)
      expect(reports.map((r) => r.day)).toEqual([DAY1, DAY2])
      // reports keep ledger amounts in atoms of 10^-scale, as the ledger does
      const atoms = (x: string) => fromAtoms(BigInt(x), PROGRAM.scale).toFixed()
      const stored = reports.map((r) => ({
        day: r.day,
        sales: r.report.sales,
        paid: atoms(r.report.cycle.paid),
        base: atoms(r.report.release.base),
      }))
      expect(norm(stored)).toEqual(
        norm(expected.days.map((d: Row) => ({ day: d.day, sales: d.sales, paid: d.cycle.paid, base: d.release.base })))
      )

      const audit = await rewards.audit()
      expect(audit.violations).toEqual([])
      expect(audit.transfers).toBeGreaterThan(20)

      // the module links: Query joins a member to its customer and a rewards order to its order
      const query = container.resolve(ContainerRegistrationKeys.QUERY)
      const { data: members } = await query.graph({
        entity: "rewards_member",
        fields: ["customer_id", "referral_code", "customer.email"],
        filters: { customer_id: [b.id] },
      })
      expect(members).toEqual([expect.objectContaining({ customer_id: b.id, customer: expect.objectContaining({ email: b.email }) })])
      const { data: orders } = await query.graph({
        entity: "rewards_order",
        fields: ["order_id", "status", "order.id", "order.customer_id"],
        filters: { order_id: [o1] },
      })
      expect(orders).toEqual([expect.objectContaining({ order_id: o1, order: expect.objectContaining({ customer_id: b.id }) })])
    })

    it("pays a duplicated and concurrent order.placed once", async () => {
      setDay(DAY1)
      const buyer = await join()
      const { order_id } = await placeOrder(container, store, {
        customer_id: buyer.id,
        items: [{ variant_id: store.variant.id, quantity: 1 }],
      })
      const eventBus = container.resolve(Modules.EVENT_BUS)
      await Promise.all([
        ...Array.from({ length: 6 }, () => awardOrderWorkflow(container).run({ input: { order_id } })),
        eventBus.emit([
          { name: "order.placed", data: { id: order_id } },
          { name: "order.placed", data: { id: order_id } },
        ]),
      ])
      // let the bus deliver the emitted copies too
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 100))
        const [pending] = await rowsOf(container, `select count(*)::int as n from rewards_event where status = 'queued'`)
        if (pending.n === 0) break
      }
      await new Promise((r) => setTimeout(r, 500))

      const batches = await rowsOf(container, `select key from rewards_transfer_batch where key like ?`, [`order:${order_id}:%`])
      expect(batches.map((b) => b.key)).toEqual([`order:${order_id}:award`])
      const events = await rowsOf(container, `select key from rewards_event where key like ?`, [`order:${order_id}:%`])
      expect(events).toHaveLength(1)

      const expected = simulate({
        program: PROGRAM,
        events: [
          { type: "join", day: DAY1, member: buyer.id, referrer: null },
          { type: "order", day: DAY1, id: order_id, member: buyer.id, amount: "100" },
        ],
      })
      const { level, starLevel, ...balances } = expected.members[buyer.id]
      expect(norm(await memberBalances(rewards, buyer.id))).toEqual(norm(balances))
      expect((await rewards.audit()).violations).toEqual([])
    })

    it("reverses at once what was refunded or canceled before the award, on either award path", async () => {
      setDay(DAY1)
      const members = await Promise.all(Array.from({ length: 4 }, () => join()))
      const [viaInbox, viaPayments, canceledViaInbox, canceledViaPayments] = members.map((m) => m.id)
      // the award comes late: the order.placed subscriber is held back until the reversals are in
      const release = holdSubscriber(container, "order.placed", "medusa-rewards-order-placed")
      const place = async (customerId: string) =>
        (await placeOrder(container, store, { customer_id: customerId, items: [{ variant_id: store.variant.id, quantity: 5 }] }))
          .order_id
      // the refund's and the cancellation's events arrive first: the order has no rewards yet
      const refunded = [await place(viaInbox), await place(viaPayments)]
      for (const id of refunded) {
        await refundPayment(container, id, 204) // 204 of the 510 paid: 40 % of the order
        await reverseOrderWorkflow(container).run({ input: { order_id: id, cause: { type: "refund" } } })
      }
      const canceled = [await place(canceledViaInbox), await place(canceledViaPayments)]
      for (const id of canceled) {
        await cancelOrder(container, id)
        await reverseOrderWorkflow(container).run({ input: { order_id: id, cause: { type: "cancel" } } })
      }
      const early = await rowsOf(container, `select status from rewards_event where kind = 'refund' order by id`)
      expect(early.map((e) => e.status)).toEqual(["rejected", "rejected", "rejected", "rejected"])
      release()

      // the order.placed subscriber's path reads no payments: the share comes from those events
      await awardOrderWorkflow(container).run({ input: { order_id: refunded[0], read_refunds: false } })
      await awardOrderWorkflow(container).run({ input: { order_id: refunded[1] } })
      await awardOrderWorkflow(container).run({ input: { order_id: canceled[0], read_refunds: false } })
      await awardOrderWorkflow(container).run({ input: { order_id: canceled[1] } })
      // a repeated award changes nothing
      await awardOrderWorkflow(container).run({ input: { order_id: refunded[0], read_refunds: false } })

      const orders = await rowsOf(
        container,
        `select order_id, status, matured::text as matured, refunded_after::text as refunded from rewards_order order by seq`
      )
      expect(norm(orders)).toEqual(
        norm([
          { order_id: refunded[0], status: "matured", matured: "500", refunded: "200" },
          { order_id: refunded[1], status: "matured", matured: "500", refunded: "200" },
          { order_id: canceled[0], status: "matured", matured: "500", refunded: "500" },
          { order_id: canceled[1], status: "matured", matured: "500", refunded: "500" },
        ])
      )
      const expected = simulate({
        program: PROGRAM,
        events: [
          ...members.map((m) => ({ type: "join", day: DAY1, member: m.id, referrer: null })),
          // each award is followed at once by its reversal
          ...refunded.flatMap((id, i) => [
            { type: "order", day: DAY1, id, member: members[i].id, amount: "500" },
            { type: "refund", day: DAY1, order: id, amount: "200" },
          ]),
          ...canceled.flatMap((id, i) => [
            { type: "order", day: DAY1, id, member: members[i + 2].id, amount: "500" },
            { type: "refund", day: DAY1, order: id },
          ]),
        ],
      })
      for (const id of members.map((m) => m.id)) {
        const { level, starLevel, ...balances } = expected.members[id]
        expect({ id, ...(norm(await memberBalances(rewards, id)) as Row) }).toEqual({ id, ...(norm(balances) as Row) })
      }
      expect(Number(expected.members[viaInbox].pointsLocked)).toBeGreaterThan(0)
      expect((await rewards.audit()).violations).toEqual([])
    })

    it("awards from the figures its cart left at completion, and reads the order back when there are none", async () => {
      setDay(DAY1)
      const [a, b] = await Promise.all([join(), join()])
      const release = holdSubscriber(container, "order.placed", "medusa-rewards-order-placed")
      const place = (customerId: string) =>
        placeOrder(container, store, { customer_id: customerId, items: [{ variant_id: store.variant.id, quantity: 5 }] })
      const kept = await place(a.id)
      const readBack = await place(b.id)
      release()
      // the cart's figures are the order's (items 5 × 100, shipping 10)
      const figures = await rewards.cartFigures(kept.cart_id)
      expect(figures?.customerId).toBe(a.id)
      expect(figures?.figures.currencyCode).toBe("cny")
      expect([figures?.figures.items, figures?.figures.total].map((x) => MathBN.convert(x!).toNumber())).toEqual([500, 510])
      expect(await keptFiguresDifferingFromOrders(container)).toEqual([])

      // the award takes the kept figures as they are (changed here to tell them from the order's
      // own), and reads the order back when its cart left none
      const pg = container.resolve(ContainerRegistrationKeys.PG_CONNECTION) as any
      const setItems = (items: string) =>
        pg.raw(`update rewards_cart_figures set figures = jsonb_set(figures, '{items}', to_jsonb(?::text)) where cart_id = ?`, [
          items,
          kept.cart_id,
        ])
      await setItems("300")
      await rewards.forgetCartFigures(readBack.cart_id)
      await awardOrderWorkflow(container).run({ input: { order_id: kept.order_id, read_refunds: false } })
      await awardOrderWorkflow(container).run({ input: { order_id: readBack.order_id, read_refunds: false } })
      await setItems("500")
      const amounts = await rowsOf(container, `select order_id, amount::text as amount from rewards_order order by seq`)
      expect(norm(amounts)).toEqual(
        norm([
          { order_id: kept.order_id, amount: "300" },
          { order_id: readBack.order_id, amount: "500" },
        ])
      )
    })

    it("a discounted checkout keeps its discounted figures: the order's own, and what the award counts", async () => {
      setDay(DAY1)
      const buyer = await join()
      await createPromotionsWorkflow(container).run({
        input: {
          promotionsData: [
            {
              code: "TENOFF",
              type: "standard",
              status: "active",
              application_method: { type: "percentage", target_type: "order", allocation: "across", value: 10, currency_code: "cny" },
            },
          ],
        },
      })
      const cart = await createCart(container, store, { customer_id: buyer.id, email: buyer.email })
      await addLineItems(container, cart.id, [{ variant_id: store.variant.id, quantity: 5 }])
      await addShippingMethod(container, cart.id, store.shippingOption.id)
      await updateCartPromotionsWorkflow(container).run({
        input: { cart_id: cart.id, promo_codes: ["TENOFF"], action: PromotionActions.ADD },
      })
      await initiatePayment(container, cart.id)
      const order = await completeCart(container, cart.id)

      // items 500 less 10 % (the shipping of 10 is not discounted): kept, the order's own, awarded
      const kept = await rewards.cartFigures(cart.id)
      expect([kept!.figures.items, kept!.figures.total].map((x) => MathBN.convert(x).toNumber())).toEqual([450, 460])
      expect(await keptFiguresDifferingFromOrders(container)).toEqual([])
      await awardOrderWorkflow(container).run({ input: { order_id: order.id, read_refunds: false } })
      const awarded = await rowsOf(container, `select order_id, amount::text as amount from rewards_order`)
      expect(norm(awarded)).toEqual([{ order_id: order.id, amount: "450" }])
    })

    it("a commit whose batch key is taken writes nothing at all (its statement's other rows are undone with it)", async () => {
      setDay(DAY1)
      const [a, b] = await Promise.all([join(), join()])
      const store = new PostgresRewardsStore((rewards as unknown as { knex(): any }).knex())
      const credit = (memberId: string, amount: bigint): TransferBatch => ({
        key: "test:duplicate-key",
        day: DAY1,
        source: "test",
        configVersion: 1,
        transfers: [{ asset: "CREDIT", debit: SYSTEM.platform, credit: `m:${memberId}`, amount, reason: "admin.adjust" }],
      })
      await store.transaction((tx) => tx.commit({ batch: credit(a.id, 50_000n) }))
      const state = () =>
        rowsOf(
          container,
          `select (select count(*) from rewards_transfer)::int as transfers,
                  (select count(*) from rewards_transfer_batch)::int as batches,
                  (select coalesce(json_agg(json_build_array(account, asset, amount::text) order by account, asset), '[]') from rewards_member_balance) as journal,
                  (select coalesce(json_agg(json_build_array(day, sales::text) order by day), '[]') from rewards_day_sales) as sales`
        )
      const before = await state()
      // the same key again, with a second batch and a day's sales in the same statement
      const again = store.transaction((tx) =>
        tx.commit({
          batches: [credit(b.id, 70_000n), { ...credit(b.id, 10_000n), key: "test:fresh-key" }],
          daySales: [{ day: DAY1, delta: new Dec(1) }],
        })
      )
      await expect(again).rejects.toBeInstanceOf(DuplicateBatchError)
      expect(await state()).toEqual(before)
      expect(norm(await memberBalances(rewards, a.id))).toMatchObject({ credit: "5" })
      expect(norm(await memberBalances(rewards, b.id))).toMatchObject({ credit: "0" })
    })

    it("holds orders for the pending window and queues events of a later day until the open day is closed", async () => {
      // RULES.md §1.4 with pendingDays 1, and §1.3 strict day order
      const pending = { ...PROGRAM, pendingDays: 1 }
      const saved = await rewards.saveConfigVersion(pending, { createdBy: "test" })
      expect(saved).toEqual(expect.objectContaining({ version: 2, effectiveFrom: null }))

      setDay(DAY1)
      const a = await join()
      const o1 = await buy(a.id, 6)
      const [held] = await rowsOf(container, `select status, matures_on from rewards_order where order_id = ?`, [o1])
      expect(held).toEqual({ status: "pending", matures_on: DAY2 })
      expect(await rowsOf(container, `select key from rewards_transfer_batch where key = ?`, [`order:${o1}:award`])).toEqual([])

      // the store was down for a day: DAY1 and DAY2 are still open when DAY3's events arrive
      setDay(DAY3)
      const b = await join({ referral_code: (await rewards.getMemberByCustomerId(a.id))!.referral_code })
      const o2 = await buy(b.id, 3)
      const queued = await rowsOf(container, `select key, status, day from rewards_event where day = ? order by id`, [DAY3])
      expect(queued).toEqual([
        { key: `customer:${b.id}:join`, status: "queued", day: DAY3 },
        { key: `order:${o2}:placed`, status: "queued", day: DAY3 },
      ])
      expect(await rewards.getMemberByCustomerId(b.id)).toBeNull()

      expect(await rewards.closeDueDays()).toEqual([DAY1, DAY2])
      const applied = await rowsOf(container, `select status from rewards_event where day = ?`, [DAY3])
      expect(applied.map((e) => e.status)).toEqual(["applied", "applied"])
      const [matured] = await rowsOf(container, `select status from rewards_order where order_id = ?`, [o1])
      expect(matured.status).toBe("matured")

      const expected = simulate({
        program: pending,
        events: [
          { type: "join", day: DAY1, member: a.id, referrer: null },
          { type: "order", day: DAY1, id: o1, member: a.id, amount: "600" },
          { type: "closeDay", day: DAY1 },
          { type: "closeDay", day: DAY2 },
          { type: "join", day: DAY3, member: b.id, referrer: a.id },
          { type: "order", day: DAY3, id: o2, member: b.id, amount: "300" },
        ],
      })
      for (const id of [a.id, b.id]) {
        const { level, starLevel, ...balances } = expected.members[id]
        expect({ id, ...(norm(await memberBalances(rewards, id)) as Row) }).toEqual({ id, ...(norm(balances) as Row) })
      }
      expect(Number(expected.members[a.id].growth)).toBeGreaterThan(0)
      expect((await rewards.audit()).violations).toEqual([])
    })

    it("quotes a sell-back with the engine itself, then applies exactly the quote; refuses what the rules refuse", async () => {
      setDay(DAY1)
      const a = await join()
      await buy(a.id, 6)
      const held = (await rewards.getAccountBalances(`m:${a.id}`)).GROWTH
      expect(Number(held)).toBeGreaterThan(0)
      const count = async () => (await rowsOf(container, `select count(*)::int as n from rewards_transfer`))[0].n

      const before = await count()
      const quote = await rewards.sellGrowthPoints({ customerId: a.id, points: "10", requestId: "q1" }, { dryRun: true })
      expect(await count()).toBe(before) // a quote writes nothing
      expect(quote.transfers.map((t) => t.reason)).toEqual(expect.arrayContaining(["growth.sell", "growth.sell.proceeds"]))
      const sold = await rewards.sellGrowthPoints({ customerId: a.id, points: "10", requestId: "s1" })
      expect(sold.result).toBe(quote.result)
      expect(sold.transfers).toEqual(quote.transfers)
      expect(Number(sold.result)).toBeGreaterThan(0)
      await expect(rewards.sellGrowthPoints({ customerId: a.id, points: "10", requestId: "s1" })).rejects.toThrow(
        "sell:s1 was already applied"
      )

      const afterSell = await count()
      await expect(rewards.sellGrowthPoints({ customerId: a.id, points: "1000000" })).rejects.toThrow(
        "points: 1000000 is more than the member holds"
      )
      await expect(
        rewards.adjustBalance({ customerId: a.id, asset: "CREDIT", amount: "-1000000", reason: "test", adminId: "user_1" })
      ).rejects.toThrow("amount: would make the CREDIT balance negative")
      await expect(rewards.adjustBalance({ customerId: a.id, asset: "CREDIT", amount: "5", reason: " " })).rejects.toThrow(
        "reason: is required"
      )
      expect(await count()).toBe(afterSell)

      const credit = new Dec((await rewards.getAccountBalances(`m:${a.id}`)).CREDIT ?? "0")
      expect(credit.toFixed()).toBe(sold.result) // the proceeds of §2.3 are stable credit
      await rewards.adjustBalance({ customerId: a.id, asset: "CREDIT", amount: "5", reason: "goodwill", adminId: "user_1" })
      expect((await rewards.getAccountBalances(`m:${a.id}`)).CREDIT).toBe(credit.plus(5).toFixed())
      const [batch] = await rowsOf(container, `select source from rewards_transfer_batch where key like 'adjust:%'`)
      expect(batch.source).toBe("user_1")
      expect((await rewards.audit()).violations).toEqual([])
    })

    it("records bad input with its reason and writes nothing for it", async () => {
      setDay(DAY1)
      const buyer = await join({ referral_code: "NOSUCHCODE" })
      const member = (await rewards.getMemberByCustomerId(buyer.id))!
      expect(member.referrer_id).toBeNull()
      const [joined] = await rowsOf(container, `select status, reason from rewards_event where key = ?`, [`customer:${buyer.id}:join`])
      expect(joined.status).toBe("applied")
      expect(joined.reason).toMatch(/^referral_code: NOSUCHCODE is not a member's referral code/)

      const before = await rowsOf(container, `select count(*)::int as n from rewards_transfer`)

      // an order in a currency the program has no rate for is skipped with its reason
      const usd = await rewards.recordOrder({
        orderId: "order_usd",
        customerId: buyer.id,
        figures: { currencyCode: "usd", items: "50", total: "55", creditUsed: "0", pointsUsed: "0" },
      })
      expect(usd.status).toBe("skipped")
      expect(usd.reason).toBe("currency: USD is not the program currency CNY and exchangeRates lists no rate for it")

      // refunds of an unknown order, or of more than the order: rejected with the field named
      const unknown = await rewards.recordRefund({ orderId: "order_none", refundId: "r1", refundedShare: "0.5" })
      expect(unknown.status).toBe("rejected")
      expect(unknown.reason).toMatch(/^order: order_none has no rewards/)
      const o = await buy(buyer.id, 1)
      const afterOrder = await rowsOf(container, `select count(*)::int as n from rewards_transfer`)
      const tooMuch = await rewards.recordRefund({ orderId: o, refundId: "r2", refundedShare: "1.5" })
      expect(tooMuch.status).toBe("rejected")
      expect(tooMuch.reason).toBe("refundedShare: must lie in [0, 1]")

      // a malformed amount is refused before anything is recorded
      await expect(
        rewards.recordOrder({
          orderId: "order_bad",
          customerId: buyer.id,
          figures: { currencyCode: "cny", items: "abc", total: "1", creditUsed: "0", pointsUsed: "0" },
        })
      ).rejects.toThrow("figures.items: must be a decimal number")
      expect(await rowsOf(container, `select 1 from rewards_event where key = 'order:order_bad:placed'`)).toEqual([])

      const after = await rowsOf(container, `select count(*)::int as n from rewards_transfer`)
      expect(after[0].n).toBe(afterOrder[0].n)
      expect(afterOrder[0].n).toBeGreaterThan(before[0].n)
      expect(await rowsOf(container, `select 1 from rewards_order where order_id in ('order_usd', 'order_none')`)).toEqual([])
    })
  },
})
