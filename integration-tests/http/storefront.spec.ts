/**
 * The storefront of the rewards program (issue 6) through a running store, with
 * `@medusajs/js-sdk` as the client: phone accounts with SMS codes (RULES.md §7), the member's
 * rewards (balances, transfers, referral link, team, growth price), sell-back and conversion
 * with quotes (§2.3, §2.5), paying carts with stable credit and released points (§2.5, §4.7)
 * and getting them back on cancellation or refund (§1.2 decision); then the security of it —
 * no member reaches another's data, 401 without a token, a customer token is no admin token,
 * SMS code guessing locks the phone — and 50 concurrent checkouts spending one balance.
 */
import { createCartCreditLinesWorkflow } from "@medusajs/core-flows"
import Medusa, { FetchError } from "@medusajs/js-sdk"
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { Dec } from "../../src/engine/decimal"
import { REWARDS_MODULE } from "../../src/modules/rewards"
import type RewardsModuleService from "../../src/modules/rewards/service"
import { unsealCode } from "../../src/providers/sms/seal"
import { awardOrderWorkflow, joinMemberWorkflow, returnCheckoutRewardsWorkflow, rewardsCreditLines } from "../../src/workflows"
import {
  useProgram,
  auditAfterEachTest,
  addShippingMethod,
  cancelOrder,
  createAdminUser,
  createCart,
  createCustomer,
  initiatePayment,
  refundPayment,
  seedStore,
  type SeededStore,
} from "../helpers"

// growth and release on, in UTC so business days are plain dates; credit may pay half an order,
// points (worth 0.5 each) 30 % of it
const PROGRAM = {
  currency: "CNY",
  timezone: "UTC",
  scale: 4,
  creditMaxShare: "0.5",
  schemes: {
    growth: { enabled: true, poolRate: "0.30", buyerIssueRate: "0.70", sellFeeRate: "0.10" },
    release: {
      enabled: true,
      levels: [{ threshold: "150", multiple: "2.5" }],
      dailyReleaseRate: "0.012",
      pointValue: "0.5",
      pointsMaxShare: "0.3",
    },
  },
}
useProgram("storefront", PROGRAM)
process.env.MEDUSA_REWARDS_STOREFRONT_URL = "https://shop.example.com/"

const DAY1 = "2026-03-02"
const DAY2 = "2026-03-03"
const JWT_SECRET = "medusa-rewards-test-jwt-secret"

type Row = Record<string, any>

/** A store client as a shopper's browser holds it: the publishable key and, once signed in, a token. */
type Sdk = InstanceType<typeof Medusa>

/** The HTTP status and message of a refused request (the js-sdk throws FetchError). */
async function refusal(p: Promise<unknown>): Promise<{ status: number | undefined; message: string }> {
  try {
    await p
  } catch (e) {
    if (e instanceof FetchError) return { status: e.status, message: e.message }
    throw e
  }
  throw new Error("expected the request to be refused")
}

medusaIntegrationTestRunner({
  inApp: true,
  testSuite: ({ api, getContainer }) => {
    auditAfterEachTest(getContainer)
    let container: MedusaContainer
    let store: SeededStore
    let rewards: RewardsModuleService

    const setDay = (day: string) => rewards.setClock(() => new Date(`${day}T10:00:00Z`))

    function sdk(token?: string): Sdk {
      const client = new Medusa({
        baseUrl: api.defaults.baseURL as string,
        publishableKey: store.publishableKey.token,
        auth: { type: "jwt", jwtTokenStorageMethod: "memory" },
        logger: { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined } as any,
      })
      if (token) void client.client.setToken(token)
      return client
    }

    const get = <T = Row>(client: Sdk, url: string, query?: Row) => client.client.fetch<T>(url, { method: "GET", query })
    const post = <T = Row>(client: Sdk, url: string, body: Row = {}) => client.client.fetch<T>(url, { method: "POST", body })

    async function rowsOf(sql: string, bindings: unknown[] = []): Promise<Row[]> {
      const pg = container.resolve(ContainerRegistrationKeys.PG_CONNECTION) as any
      return (await pg.raw(sql, bindings)).rows
    }

    /** The newest SMS code sent to `phone`: the notification carries it sealed; the test opens it as the SMS provider does. */
    async function lastCode(phone: string): Promise<string> {
      const [n] = await container
        .resolve(Modules.NOTIFICATION)
        .listNotifications({ to: phone, channel: "sms" }, { order: { created_at: "DESC" }, take: 1 })
      expect(n).toBeDefined()
      expect(JSON.stringify(n.data)).not.toMatch(/"code"/) // never in clear at rest
      return unsealCode((n.data as Row).sealed_code, JWT_SECRET)
    }

    async function until<T>(what: string, fn: () => Promise<T | null | undefined>, ms = 10_000): Promise<T> {
      const end = Date.now() + ms
      for (;;) {
        const v = await fn()
        if (v) return v
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    }

    /** Lets the event bus deliver what it holds (order.placed, order.canceled…) before the audit. */
    async function settle() {
      await until("the rewards inbox to drain", async () => {
        const [q] = await rowsOf(`select count(*)::int as n from rewards_event where status = 'queued'`)
        return q.n === 0
      })
      await new Promise((r) => setTimeout(r, 500))
    }

    async function balances(customerId: string) {
      const b = await rewards.getAccountBalances(`m:${customerId}`)
      return { GROWTH: b.GROWTH ?? "0", CREDIT: b.CREDIT ?? "0", POINTS: b.POINTS ?? "0", POINTS_LOCKED: b.POINTS_LOCKED ?? "0" }
    }

    /** A phone sign-up through the store API: code, register, create the customer, sign in. */
    async function signUpByPhone(phone: string, password: string, metadata?: Row) {
      const shopper = sdk()
      const sent = await post(shopper, "/store/phone-auth/codes", { phone, purpose: "register" })
      const code = await lastCode(sent.phone)
      await shopper.auth.register("customer", "phone", { phone, password, code })
      const { customer } = await shopper.store.customer.create({ first_name: "Phone", last_name: "Shopper", metadata } as any)
      const token = (await shopper.auth.login("customer", "phone", { phone, password })) as string
      expect(typeof token).toBe("string")
      return { sdk: sdk(token), token, customer, phone: sent.phone as string }
    }

    /** A checkout through the store API, optionally paid partly with credit and points. */
    async function checkout(shopper: Sdk, quantity: number, pay?: { credit?: string; points?: string }) {
      const { cart } = await shopper.store.cart.create({
        region_id: store.region.id,
        items: [{ variant_id: store.variant.id, quantity }],
      })
      const address = { first_name: "A", last_name: "B", address_1: "1 Road", city: "Shanghai", country_code: store.country, postal_code: "200000" }
      await shopper.store.cart.update(cart.id, { email: "shopper@example.com", shipping_address: address, billing_address: address })
      await shopper.store.cart.addShippingMethod(cart.id, { option_id: store.shippingOption.id })
      if (pay) await post(shopper, `/store/carts/${cart.id}/rewards`, pay)
      const { cart: fresh } = await shopper.store.cart.retrieve(cart.id)
      await shopper.store.payment.initiatePaymentSession(fresh, { provider_id: "pp_system_default" })
      const done = (await shopper.store.cart.complete(cart.id)) as Row
      if (done.type !== "order") throw new Error(`cart ${cart.id} did not complete: ${JSON.stringify(done.error)}`)
      await awardOrderWorkflow(container).run({ input: { order_id: done.order.id } })
      return { cartId: cart.id, order: done.order as Row }
    }

    async function emailMember(metadata?: Row) {
      const c = await createCustomer(container, { metadata })
      await joinMemberWorkflow(container).run({ input: { customer_id: c.customer.id } })
      return c
    }

    beforeAll(async () => {
      container = getContainer()
      store = await seedStore(container, { currency: "cny", unitPrice: 100, shippingPrice: 10 })
      rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
    })

    it("the shopper's journey: phone sign-up with a referral code, buy, see rewards, sell back, convert, pay with credit and points, get them back", async () => {
      setDay(DAY1)
      const referrer = await emailMember()
      const refSdk = sdk(referrer.token)
      const { referral } = await get(refSdk, "/store/customers/me/rewards/referral")
      expect(referral.code).toMatch(/^[2-9A-HJ-NP-Z]{8}$/)
      expect(referral.link).toBe(`https://shop.example.com/?ref=${referral.code}`)

      // ---- sign up with a phone number and the referrer's code (RULES.md §7, §1.1) ----
      const shopper = await signUpByPhone("138 0013 8000", "first-password", { referral_code: referral.code })
      expect(shopper.phone).toBe("+8613800138000")
      const { customer: me } = await shopper.sdk.store.customer.retrieve()
      expect(me.phone).toBe("+8613800138000") // the verified phone, bound by the plugin
      const member = await until("the shopper to join", () => rewards.getMemberByCustomerId(me.id))
      expect(member.referrer_id).toBe(referrer.customer.id)

      // ---- buy: 6 × 100 + 10 shipping; eligible 600 (RULES.md §1.2) ----
      const first = await checkout(shopper.sdk, 6)
      expect(Number(first.order.total)).toBe(610)
      const { rewards: view } = await get(shopper.sdk, "/store/customers/me/rewards")
      const byAsset = Object.fromEntries(view.balances.map((b: Row) => [b.asset, b]))
      expect(view.customer_id).toBe(me.id)
      expect(view.has_referrer).toBe(true)
      expect(view.balances.map((b: Row) => b.asset)).toEqual([
        "GROWTH", "CREDIT", "EXIT_CAP", "QUOTA", "WEIGHT", "POINTS_LOCKED", "POINTS", "DEBT_GROWTH", "DEBT_CREDIT", "DEBT_POINTS",
      ])
      expect(byAsset.GROWTH).toEqual(expect.objectContaining({ amount: "126", label: "Growth points", enabled: true })) // 0.7 × 180 ÷ 1
      expect(byAsset.POINTS_LOCKED.amount).toBe("1500") // 2.5 × 600
      expect(byAsset.QUOTA).toEqual(expect.objectContaining({ scheme: "cycle", enabled: false }))
      expect(byAsset.CREDIT.meaning).toMatch(/1 credit = 1 unit/)
      expect(view.checkout).toEqual({ credit_max_share: "0.5", points_max_share: "0.3", point_value: "0.5" })

      // transfer history, two at a time, newest first, with reasons
      const seen: Row[] = []
      let cursor: string | undefined
      do {
        const page: Row = await get(shopper.sdk, "/store/customers/me/rewards/transfers", { limit: 2, ...(cursor ? { cursor } : {}) })
        expect(page.transfers.length).toBeLessThanOrEqual(2)
        seen.push(...page.transfers)
        cursor = page.next_cursor ?? undefined
      } while (cursor)
      expect(seen.map((t) => t.id)).toEqual([...seen.map((t) => t.id)].sort((a, b) => b - a))
      expect(new Set(seen.map((t) => t.id)).size).toBe(seen.length)
      expect(seen.map((t) => [t.reason, t.asset, t.amount])).toEqual(
        expect.arrayContaining([
          ["growth.issue.buyer", "GROWTH", "126"],
          ["release.tranche", "POINTS_LOCKED", "1500"],
        ])
      )
      expect(seen.find((t) => t.reason === "growth.issue.buyer")).toEqual(
        expect.objectContaining({ direction: "in", meaning: "Growth points for your order", cause: `order:${first.order.id}:award` })
      )

      // ---- sell back 26 at 180 ÷ 126 (RULES.md §2.3): quote, then exactly the quote ----
      const { growth } = await get(shopper.sdk, "/store/customers/me/rewards/growth")
      expect(growth).toEqual(expect.objectContaining({ price: "1.428571428571", held: "126", value: "179.9999", sell_fee_rate: "0.1" }))
      const before = await rowsOf(`select count(*)::int as n from rewards_transfer`)
      const { quote } = await post(shopper.sdk, "/store/customers/me/rewards/sell/quote", { points: "26" })
      expect(await rowsOf(`select count(*)::int as n from rewards_transfer`)).toEqual(before) // a quote writes nothing
      expect(quote).toEqual(
        expect.objectContaining({
          points: "26",
          price: "1.428571428571",
          gross: "37.1428",
          credit: "33.4285", // floor(26 × p × 0.9)
          fee: "3.7143",
          credit_received: "33.4285",
          balances_after: { GROWTH: "100", CREDIT: "33.4285", DEBT_CREDIT: "0" },
          dry_run: true,
        })
      )
      const { sell } = await post(shopper.sdk, "/store/customers/me/rewards/sell", { points: 26, idempotency_key: "sell-1" })
      expect({ ...sell, dry_run: true }).toEqual(quote)
      // the same key again is not applied twice
      expect((await refusal(post(shopper.sdk, "/store/customers/me/rewards/sell", { points: "26", idempotency_key: "sell-1" }))).message).toMatch(
        /was already applied/
      )

      // bad input: 400 naming the field, nothing written
      const afterSell = await rowsOf(`select count(*)::int as n from rewards_transfer`)
      for (const [url, body, message] of [
        ["/store/customers/me/rewards/sell", { points: "1000" }, /points: 1000 is more than the member holds/],
        ["/store/customers/me/rewards/sell/quote", { points: "1000" }, /points: 1000 is more than the member holds/],
        ["/store/customers/me/rewards/convert", { points: "0" }, /points: must be greater than 0/],
        ["/store/customers/me/rewards/convert", { points: "-5" }, /points: must be greater than 0/],
        ["/store/customers/me/rewards/convert/quote", { points: "abc" }, /points: must be a decimal number/],
        ["/store/customers/me/rewards/convert", {}, /points/],
      ] as [string, Row, RegExp][]) {
        const r = await refusal(post(shopper.sdk, url, body))
        expect({ url, body, status: r.status }).toEqual({ url, body, status: 400 })
        expect(r.message).toMatch(message)
      }
      expect(await rowsOf(`select count(*)::int as n from rewards_transfer`)).toEqual(afterSell)

      // ---- convert 50 at the new price (RULES.md §2.5) ----
      const { quote: cq } = await post(shopper.sdk, "/store/customers/me/rewards/convert/quote", { points: "50" })
      expect(cq).toEqual(expect.objectContaining({ price: "1.465715", credit: "73.2857", fee: "0" }))
      const { convert } = await post(shopper.sdk, "/store/customers/me/rewards/convert", { points: "50" })
      expect(convert.credit).toBe("73.2857")
      expect(await balances(me.id)).toEqual(expect.objectContaining({ GROWTH: "50", CREDIT: "106.7142" }))

      // ---- the day closes: 1.2 % of 600 is released (RULES.md §4.2) ----
      setDay(DAY2)
      expect(await rewards.closeDueDays()).toEqual([DAY1])
      expect((await balances(me.id)).POINTS).toBe("7.2")
      const { team } = await get(refSdk, "/store/customers/me/rewards/team")
      expect(team).toEqual(expect.objectContaining({ direct: 1, total: 1, currency: "CNY" }))
      expect(team.performance).toEqual({ counted: "600", cash: "600", points: "0", total: "600" })

      // ---- pay part of the next order with credit and points (RULES.md §2.5, §4.7) ----
      const { cart } = await shopper.sdk.store.cart.create({ region_id: store.region.id, items: [{ variant_id: store.variant.id, quantity: 1 }] })
      const address = { first_name: "A", last_name: "B", address_1: "1 Road", city: "Shanghai", country_code: "cn", postal_code: "200000" }
      await shopper.sdk.store.cart.update(cart.id, { email: "shopper@example.com", shipping_address: address })
      await shopper.sdk.store.cart.addShippingMethod(cart.id, { option_id: store.shippingOption.id })
      const { cart_rewards: limits } = await get(shopper.sdk, `/store/carts/${cart.id}/rewards`)
      expect(limits).toEqual(
        expect.objectContaining({
          order_total: "110",
          held: { credit: "106.7142", points: "7.2" },
          limits: expect.objectContaining({ credit_cap: "55", points_value_cap: "33", max_credit: "55", max_points: "7.2", point_value: "0.5" }),
        })
      )
      for (const [body, message] of [
        [{ credit: "60" }, /credit: 60 is more than creditMaxShare 0.5 of the order total 110 allows \(55\)/],
        [{ points: "8" }, /points: 8 is more than the 7.2 points the member holds/],
        [{ credit: "1.005" }, /credit: 1.005 has more than 2 decimals/],
        [{ credit: "-1" }, /credit: must not be negative/],
        [{ points: "0.01" }, /points: 0.01 points are worth 0.005 CNY/],
      ] as [Row, RegExp][]) {
        const r = await refusal(post(shopper.sdk, `/store/carts/${cart.id}/rewards`, body))
        expect({ body, status: r.status }).toEqual({ body, status: 400 })
        expect(r.message).toMatch(message)
      }
      const { cart_rewards: applied } = await post(shopper.sdk, `/store/carts/${cart.id}/rewards`, { credit: "50", points: "7.2" })
      expect(applied.applied).toEqual({ credit: "50", points: "7.2", points_value: "3.6" })
      expect(applied.total_to_pay).toBe("56.4")
      expect(await balances(me.id)).toEqual(expect.objectContaining({ CREDIT: "106.7142", POINTS: "7.2" })) // nothing spent yet
      const { cart: fresh } = await shopper.sdk.store.cart.retrieve(cart.id)
      await shopper.sdk.store.payment.initiatePaymentSession(fresh, { provider_id: "pp_system_default" })
      const done = (await shopper.sdk.store.cart.complete(cart.id)) as Row
      expect(done.type).toBe("order")
      const second = done.order
      expect(Number(second.total)).toBe(56.4)
      expect(second.credit_lines.map((l: Row) => [l.reference, Number(l.amount)]).sort()).toEqual([
        ["medusa-rewards:credit", 50],
        ["medusa-rewards:points", 3.6],
      ])
      expect(await balances(me.id)).toEqual(expect.objectContaining({ CREDIT: "56.7142", POINTS: "0" }))
      await awardOrderWorkflow(container).run({ input: { order_id: second.id } })
      // RULES.md §1.2: the part paid with credit and points (50 + 7.2 × 0.5 of 110) is not eligible
      const [award] = await rowsOf(`select amount::text as amount from rewards_order where order_id = ?`, [second.id])
      expect(new Dec(award.amount).toFixed()).toBe("51.27")
      const { team: team2 } = await get(refSdk, "/store/customers/me/rewards/team")
      expect(team2.performance).toEqual(expect.objectContaining({ cash: "651.27", points: "48.72" }))
      // the shopper's own history shows the payment
      const recent: Row = await get(shopper.sdk, "/store/customers/me/rewards/transfers", { limit: 5 })
      expect(recent.transfers.map((t: Row) => [t.reason, t.amount, t.counterparty])).toEqual(
        expect.arrayContaining([
          ["checkout.credit", "-50", "platform"],
          ["checkout.points", "-7.2", "platform"],
        ])
      )

      // ---- cancel: the credit and points come back by a transfer of their own (RULES.md §1.2) ----
      await cancelOrder(container, second.id)
      expect(await balances(me.id)).toEqual(expect.objectContaining({ CREDIT: "106.7142", POINTS: "7.2" }))
      const back = await rowsOf(
        `select t.reason, t.amount::text as amount from rewards_transfer t join rewards_transfer_batch b on b.id = t.batch_id
          where b.key = ? order by t.id`,
        [`checkout:${cart.id}#1:return:cancel`]
      )
      expect(back).toEqual([
        { reason: "checkout.return.credit", amount: "500000" },
        { reason: "checkout.return.points", amount: "72000" },
      ])
      // a redelivered cancellation gives nothing twice
      await returnCheckoutRewardsWorkflow(container).run({ input: { order_id: second.id, cause: { type: "cancel" } } })
      expect(await balances(me.id)).toEqual(expect.objectContaining({ CREDIT: "106.7142", POINTS: "7.2" }))

      await settle()
      expect((await rewards.audit()).violations).toEqual([])
    })

    it("a partial refund gives back the same share of the credit and points, once; the remainder goes to the card", async () => {
      setDay(DAY1)
      const buyer = await emailMember()
      await rewards.adjustBalance({ customerId: buyer.customer.id, asset: "CREDIT", amount: "40", reason: "test" })
      await rewards.adjustBalance({ customerId: buyer.customer.id, asset: "POINTS", amount: "20", reason: "test" })
      const shopper = sdk(buyer.token)
      // 2 × 100 + 10 = 210: credit 40, points 20 (worth 10), cash 160
      const { cartId, order } = await checkout(shopper, 2, { credit: "40", points: "20" })
      expect(Number(order.total)).toBe(160)
      expect(await balances(buyer.customer.id)).toEqual(expect.objectContaining({ CREDIT: "0", POINTS: "0" }))

      await refundPayment(container, order.id, 40) // 40 of the 160 paid: a quarter of the order
      await returnCheckoutRewardsWorkflow(container).run({ input: { order_id: order.id, cause: { type: "refund" } } })
      expect(await balances(buyer.customer.id)).toEqual(expect.objectContaining({ CREDIT: "10", POINTS: "5" }))
      // the subscriber's delivery of the same refund, and a repeat, change nothing
      await returnCheckoutRewardsWorkflow(container).run({ input: { order_id: order.id, cause: { type: "refund" } } })
      await settle()
      expect(await balances(buyer.customer.id)).toEqual(expect.objectContaining({ CREDIT: "10", POINTS: "5" }))
      const [record] = await rowsOf(`select returned_share::text as share, order_id from rewards_checkout where cart_id = ?`, [cartId])
      expect({ share: new Dec(record.share).toFixed(), order_id: record.order_id }).toEqual({ share: "0.25", order_id: order.id })

      // the rest, on cancellation
      await cancelOrder(container, order.id)
      expect(await balances(buyer.customer.id)).toEqual(expect.objectContaining({ CREDIT: "40", POINTS: "20" }))
      await settle()
      expect((await rewards.audit()).violations).toEqual([])
    })

    it("phone accounts: one phone = one account, login by code, reset and change by SMS code, wrong and expired codes, rate limits", async () => {
      setDay(DAY1)
      const a = await signUpByPhone("13900139000", "password-one")
      const anon = sdk()

      // the phone already has an account
      let r = await refusal(post(anon, "/store/phone-auth/codes", { phone: "+86 139 0013 9000", purpose: "register" }))
      expect(r).toEqual({ status: 400, message: expect.stringMatching(/phone: already has an account/) })
      // an e-mail account cannot take that phone either
      const other = await createCustomer(container)
      r = await refusal(sdk(other.token).store.customer.update({ phone: "139 0013 9000" }))
      expect(r).toEqual({ status: 400, message: expect.stringMatching(/phone: already belongs to another account/) })

      // login by SMS code
      await post(anon, "/store/phone-auth/codes", { phone: "13900139000", purpose: "login" })
      const loginCode = await lastCode(a.phone)
      const byCode = await anon.auth.login("customer", "phone", { phone: "13900139000", code: loginCode })
      expect(typeof byCode).toBe("string")
      const { customer } = await sdk(byCode as string).store.customer.retrieve()
      expect(customer.id).toBe(a.customer.id)
      // single use
      r = await refusal(anon.auth.login("customer", "phone", { phone: "13900139000", code: loginCode }))
      expect(r).toEqual({ status: 401, message: expect.stringMatching(/code: is wrong or has expired/) })

      // a second code of the same purpose at once: rate-limited (429 with Retry-After)
      const first = await api.post("/store/phone-auth/codes", { phone: "13900139000", purpose: "reset" }, { headers: { "x-publishable-api-key": store.publishableKey.token } })
      expect(first.status).toBe(200)
      const again = await api
        .post("/store/phone-auth/codes", { phone: "13900139000", purpose: "reset" }, { headers: { "x-publishable-api-key": store.publishableKey.token } })
        .catch((e: any) => e.response)
      expect(again.status).toBe(429)
      expect(Number(again.headers["retry-after"])).toBeGreaterThan(0)

      // reset a forgotten password: wrong code 400, expired code 400, right code works once
      const resetCode = await lastCode(a.phone)
      r = await refusal(post(anon, "/store/phone-auth/reset-password", { phone: "13900139000", code: resetCode === "000000" ? "111111" : "000000", password: "password-two" }))
      expect(r).toEqual({ status: 400, message: expect.stringMatching(/code: is wrong or has expired/) })
      await rowsOf(`update rewards_phone_code set expires_at = now() - interval '1 second' where phone = ? and purpose = 'reset'`, [a.phone])
      r = await refusal(post(anon, "/store/phone-auth/reset-password", { phone: "13900139000", code: resetCode, password: "password-two" }))
      expect(r).toEqual({ status: 400, message: expect.stringMatching(/code: is wrong or has expired/) })
      await rowsOf(`update rewards_phone_code set expires_at = now() + interval '5 minutes' where phone = ? and purpose = 'reset'`, [a.phone])
      await post(anon, "/store/phone-auth/reset-password", { phone: "13900139000", code: resetCode, password: "password-two" })
      expect(typeof (await anon.auth.login("customer", "phone", { phone: "13900139000", password: "password-two" }))).toBe("string")
      r = await refusal(anon.auth.login("customer", "phone", { phone: "13900139000", password: "password-one" }))
      expect(r.status).toBe(401)
      // codes are stored only as HMACs
      const stored = await rowsOf(`select code_hash from rewards_phone_code where phone = ?`, [a.phone])
      expect(stored.every((s) => /^[0-9a-f]{64}$/.test(s.code_hash) && s.code_hash !== resetCode)).toBe(true)

      // change the password while signed in, with a code sent to the own phone
      await post(a.sdk, "/store/customers/me/phone-auth/code")
      const changeCode = await lastCode(a.phone)
      r = await refusal(post(a.sdk, "/store/customers/me/phone-auth/password", { code: "12", password: "password-three" }))
      expect(r).toEqual({ status: 400, message: expect.stringMatching(/code/) })
      await post(a.sdk, "/store/customers/me/phone-auth/password", { code: changeCode, password: "password-three" })
      expect(typeof (await anon.auth.login("customer", "phone", { phone: "13900139000", password: "password-three" }))).toBe("string")
      // an e-mail account has no phone login to change
      r = await refusal(post(sdk(other.token), "/store/customers/me/phone-auth/code"))
      expect(r.status).toBe(400)

      // sign-up with a wrong code: 400 naming the field, no account
      await post(anon, "/store/phone-auth/codes", { phone: "13700137000", purpose: "register" })
      r = await refusal(anon.auth.register("customer", "phone", { phone: "13700137000", password: "password-x1", code: "999999" === (await lastCode("+8613700137000")) ? "888888" : "999999" }))
      expect(r).toEqual({ status: 400, message: expect.stringMatching(/code: is wrong or has expired/) })
      expect(await rowsOf(`select 1 from provider_identity where entity_id = '+8613700137000'`)).toEqual([])
      // malformed bodies: 400 naming the field
      r = await refusal(post(anon, "/store/phone-auth/codes", { phone: "12", purpose: "register" }))
      expect(r).toEqual({ status: 400, message: expect.stringMatching(/phone/) })
      r = await refusal(post(anon, "/store/phone-auth/codes", { phone: "13700137000", purpose: "steal" }))
      expect(r).toEqual({ status: 400, message: expect.stringMatching(/purpose/) })
    })

    it("security: members reach only their own data, 401 without a token, no admin access with a customer token, SMS code guessing locks out", async () => {
      setDay(DAY1)
      const alice = await emailMember()
      const bob = await emailMember()
      await rewards.adjustBalance({ customerId: alice.customer.id, asset: "CREDIT", amount: "30", reason: "test" })
      await rewards.adjustBalance({ customerId: bob.customer.id, asset: "CREDIT", amount: "70", reason: "test" })
      const a = sdk(alice.token)
      const b = sdk(bob.token)

      // no ids in the member routes: each token sees its own member only
      const { rewards: av } = await get(a, "/store/customers/me/rewards")
      const { rewards: bv } = await get(b, "/store/customers/me/rewards")
      expect([av.customer_id, bv.customer_id]).toEqual([alice.customer.id, bob.customer.id])
      expect(av.balances.find((x: Row) => x.asset === "CREDIT").amount).toBe("30")
      const at: Row = await get(a, "/store/customers/me/rewards/transfers")
      expect(at.transfers.every((t: Row) => t.amount === "30" && t.reason === "admin.adjust")).toBe(true)
      expect(JSON.stringify(at)).not.toContain(bob.customer.id)

      // bob's cart: alice can neither see nor pay it
      const { cart } = await b.store.cart.create({ region_id: store.region.id, items: [{ variant_id: store.variant.id, quantity: 1 }] })
      expect((await refusal(get(a, `/store/carts/${cart.id}/rewards`))).status).toBe(404)
      expect((await refusal(post(a, `/store/carts/${cart.id}/rewards`, { credit: "10" }))).status).toBe(404)
      expect((await refusal(a.client.fetch(`/store/carts/${cart.id}/rewards`, { method: "DELETE" }))).status).toBe(404)
      expect(await balances(bob.customer.id)).toEqual(expect.objectContaining({ CREDIT: "70" }))

      // without a token: 401 everywhere a member is needed
      const anon = sdk()
      for (const [method, url] of [
        ["GET", "/store/customers/me/rewards"],
        ["GET", "/store/customers/me/rewards/transfers"],
        ["GET", "/store/customers/me/rewards/team"],
        ["GET", "/store/customers/me/rewards/referral"],
        ["GET", "/store/customers/me/rewards/growth"],
        ["POST", "/store/customers/me/rewards/sell"],
        ["POST", "/store/customers/me/rewards/convert/quote"],
        ["GET", `/store/carts/${cart.id}/rewards`],
        ["POST", `/store/carts/${cart.id}/rewards`],
        ["POST", "/store/customers/me/phone-auth/code"],
      ]) {
        const r = await refusal(anon.client.fetch(url, { method, body: method === "POST" ? { points: "1", credit: "1" } : undefined }))
        expect({ method, url, status: r.status }).toEqual({ method, url, status: 401 })
      }
      // a customer token is no admin token
      const admin = await createAdminUser(container)
      expect((await api.get("/admin/customers", admin.headers)).status).toBe(200)
      for (const url of ["/admin/customers", "/admin/orders", "/admin/rewards/day-runs"]) {
        const res = await api.get(url, { headers: { authorization: `Bearer ${alice.token}` } }).catch((e: any) => e.response)
        expect({ url, status: res.status }).toEqual({ url, status: 401 })
      }

      // SMS code guessing: 5 failures lock the phone, even the right code is then refused
      const victim = await signUpByPhone("13600136000", "victim-password")
      await post(anon, "/store/phone-auth/codes", { phone: victim.phone, purpose: "login" })
      const code = await lastCode(victim.phone)
      const wrong = (i: number) => String((Number(code) + 1 + i) % 1_000_000).padStart(6, "0")
      for (let i = 0; i < 5; i++) {
        const r = await refusal(anon.auth.login("customer", "phone", { phone: victim.phone, code: wrong(i) }))
        expect(r).toEqual({ status: 401, message: expect.stringMatching(/code: is wrong or has expired/) })
      }
      let r = await refusal(anon.auth.login("customer", "phone", { phone: victim.phone, code }))
      expect(r).toEqual({ status: 401, message: expect.stringMatching(/phone: too many failed attempts; locked/) })
      r = await refusal(anon.auth.login("customer", "phone", { phone: victim.phone, password: "victim-password" }))
      expect(r.message).toMatch(/locked/)
      const locked = await api
        .post("/store/phone-auth/codes", { phone: victim.phone, purpose: "reset" }, { headers: { "x-publishable-api-key": store.publishableKey.token } })
        .catch((e: any) => e.response)
      expect(locked.status).toBe(429)
      // fifty guesses at once are counted one after another: still locked, none got through
      const burst = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) => anon.auth.login("customer", "phone", { phone: victim.phone, password: `guess-${i}` }))
      )
      expect(burst.every((x) => x.status === "rejected")).toBe(true)
      // once the lock window has passed, the right password works again
      await rowsOf(`update rewards_phone_event set created_at = created_at - interval '20 minutes' where phone = ?`, [victim.phone])
      expect(typeof (await anon.auth.login("customer", "phone", { phone: victim.phone, password: "victim-password" }))).toBe("string")
    })

    // long: 50 checkouts on a small shared machine
    it("50 concurrent completions spending one balance: exactly the balance is spent", async () => {
      setDay(DAY1)
      const m = await emailMember()
      await rewards.adjustBalance({ customerId: m.customer.id, asset: "CREDIT", amount: "100", reason: "test" })
      await rewards.adjustBalance({ customerId: m.customer.id, asset: "POINTS", amount: "50", reason: "test" })
      // 50 carts of 110, each paying 20 credit and 10 points (worth 5): the balance pays 5 of them
      const carts: string[] = []
      const prepare = async () => {
        const cart = await createCart(container, store, {
          customer_id: m.customer.id,
          email: m.email,
          items: [{ variant_id: store.variant.id, quantity: 1 }],
        })
        await addShippingMethod(container, cart.id, store.shippingOption.id)
        carts.push(cart.id)
      }
      for (let i = 0; i < 10; i++) await Promise.all(Array.from({ length: 5 }, prepare))
      // the credit lines POST /store/carts/:id/rewards writes (the route itself is tested above), then payment
      const lines = carts.flatMap((id) =>
        rewardsCreditLines({ cartId: id, customerId: m.customer.id, credit: "20", points: "10", pointsValue: "5", pointValue: "0.5" })
      )
      await createCartCreditLinesWorkflow(container).run({ input: lines })
      for (let i = 0; i < 10; i++) await Promise.all(carts.slice(i * 5, i * 5 + 5).map((id) => initiatePayment(container, id)))
      expect(carts).toHaveLength(50)
      const shopper = sdk(m.token)
      const started = Date.now()
      const results = await Promise.allSettled(carts.map((id) => shopper.store.cart.complete(id)))
      console.log(`50 concurrent completions: ${Date.now() - started} ms`)
      const orders = results.filter((x) => x.status === "fulfilled" && (x.value as Row).type === "order")
      const refused = results.filter((x) => x.status === "rejected") as PromiseRejectedResult[]
      expect(orders).toHaveLength(5)
      expect(refused).toHaveLength(45)
      for (const x of refused) {
        expect(x.reason).toBeInstanceOf(FetchError)
        expect((x.reason as FetchError).status).toBe(400)
        expect((x.reason as FetchError).message).toMatch(/(credit|points): .* is more than the 0 (credit|points) the member holds/)
      }
      expect(await balances(m.customer.id)).toEqual(expect.objectContaining({ CREDIT: "0", POINTS: "0" }))
      const [spent] = await rowsOf(
        `select coalesce(sum(amount) filter (where reason = 'checkout.credit'), 0)::text as credit,
                coalesce(sum(amount) filter (where reason = 'checkout.points'), 0)::text as points
           from rewards_transfer where debit = ?`,
        [`m:${m.customer.id}`]
      )
      expect(spent).toEqual({ credit: "1000000", points: "500000" }) // 100 and 50, in atoms of 10^-4
      const [spentCarts] = await rowsOf(`select count(*)::int as n from rewards_checkout where customer_id = ? and status = 'spent'`, [m.customer.id])
      expect(spentCarts.n).toBe(5)
      // a refused completion keeps no figures for an award: only the 5 orders' carts left theirs
      const [keptCarts] = await rowsOf(`select count(*)::int as n from rewards_cart_figures where cart_id = any(?::text[])`, [carts])
      expect(keptCarts.n).toBe(5)
      await settle()
      expect((await rewards.audit()).violations).toEqual([])
    }, 600_000)
  },
})
