/**
 * The real Medusa flows the rewards plugin hooks into, end to end on a real
 * PostgreSQL: checkout -> order.placed, cancel -> order.canceled, partial
 * refund -> payment.refunded. Guards the fixtures in integration-tests/helpers
 * (and tells us when a Medusa upgrade changes these flows).
 */
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import {
  auditAfterEachTest,
  cancelOrder,
  createAdminUser,
  createCustomer,
  getOrder,
  placeOrder,
  recordEvents,
  refundPayment,
  seedStore,
  storeHeaders,
  type AdminUser,
  type EventRecorder,
  type SeededStore,
  type TestCustomer,
} from "../helpers"


medusaIntegrationTestRunner({
  inApp: true,
  testSuite: ({ api, getContainer }) => {
    auditAfterEachTest(getContainer)
    let container: MedusaContainer
    let store: SeededStore
    let buyer: TestCustomer
    let admin: AdminUser
    let events: EventRecorder

    // Seeded once: the runner snapshots the database after this hook and
    // restores the snapshot before every test.
    beforeAll(async () => {
      container = getContainer()
      store = await seedStore(container, { currency: "cny", unitPrice: 100, shippingPrice: 10 })
      buyer = await createCustomer(container)
      admin = await createAdminUser(container)
      events = recordEvents(container, ["order.placed", "order.canceled", "payment.refunded"])
    })

    afterEach(() => events?.clear())
    afterAll(() => events?.stop())

    it("completes a cart into an order for the customer and emits order.placed", async () => {
      const { order_id } = await placeOrder(container, store, {
        customer_id: buyer.customer.id,
        items: [{ variant_id: store.variant.id, quantity: 2 }],
      })

      const order = await getOrder(container, order_id)
      expect(order).toEqual(
        expect.objectContaining({
          id: order_id,
          status: "pending",
          customer_id: buyer.customer.id,
          email: buyer.email,
          currency_code: "cny",
          region_id: store.region.id,
          sales_channel_id: store.salesChannel.id,
        })
      )
      expect(order.items).toHaveLength(1)
      expect(order.items[0].variant_id).toBe(store.variant.id)
      expect(Number(order.items[0].quantity)).toBe(2)
      expect(Number(order.items[0].unit_price)).toBe(100)
      expect(Number(order.item_total)).toBe(200)
      expect(Number(order.shipping_total)).toBe(10)
      expect(Number(order.total)).toBe(210)

      const [payment] = order.payment_collections.flatMap((pc: any) => pc.payments)
      expect(payment.provider_id).toBe("pp_system_default")
      expect(Number(payment.amount)).toBe(210)

      const placed = await events.waitFor("order.placed", (e) => e.data.id === order_id)
      expect(placed.data).toEqual({ id: order_id })

      // The admin token and the publishable key work against the real routes.
      const adminRes = await api.get(`/admin/orders/${order_id}?fields=id,total,customer_id`, admin.headers)
      expect(adminRes.status).toBe(200)
      expect(adminRes.data.order).toEqual(
        expect.objectContaining({ id: order_id, customer_id: buyer.customer.id })
      )
      expect(Number(adminRes.data.order.total)).toBe(210)

      const storeRes = await api.get(`/store/products?fields=id`, storeHeaders(store))
      expect(storeRes.data.products.map((p: any) => p.id)).toEqual([store.product.id])

      const meRes = await api.get(`/store/customers/me`, {
        headers: { ...storeHeaders(store).headers, ...buyer.headers.headers },
      })
      expect(meRes.data.customer.id).toBe(buyer.customer.id)
    })

    it("cancels an order: status canceled, payment canceled, order.canceled emitted", async () => {
      const { order_id } = await placeOrder(container, store, { customer_id: buyer.customer.id })

      await cancelOrder(container, order_id, admin.user.id)

      const order = await getOrder(container, order_id)
      expect(order.status).toBe("canceled")
      expect(order.canceled_at).toBeTruthy()
      const [payment] = order.payment_collections.flatMap((pc: any) => pc.payments)
      // Only authorized, never captured: the payment is canceled, not refunded.
      expect(payment.canceled_at).toBeTruthy()
      expect(payment.refunds).toEqual([])

      const canceled = await events.waitFor("order.canceled", (e) => e.data.id === order_id)
      expect(canceled.data).toEqual({ id: order_id })
    })

    it("records a partial refund on the captured payment and emits payment.refunded", async () => {
      const { order_id } = await placeOrder(container, store, {
        customer_id: buyer.customer.id,
        items: [{ variant_id: store.variant.id, quantity: 3 }],
      })

      const { payment_id } = await refundPayment(container, order_id, 30, {
        note: "one item damaged",
        created_by: admin.user.id,
      })

      const order = await getOrder(container, order_id)
      const payment = order.payment_collections
        .flatMap((pc: any) => pc.payments)
        .find((p: any) => p.id === payment_id)
      expect(Number(payment.amount)).toBe(310)
      expect(payment.captured_at).toBeTruthy()
      expect(payment.captures.map((c: any) => Number(c.amount))).toEqual([310])
      expect(payment.refunds).toHaveLength(1)
      expect(Number(payment.refunds[0].amount)).toBe(30)
      expect(payment.refunds[0].note).toBe("one item damaged")
      // A refund does not cancel the order, but Medusa 2.21 books it as an
      // order credit line: the order total drops by the refund while the
      // original total stays in the summary.
      expect(order.status).toBe("pending")
      expect(Number(order.summary.refunded_total)).toBe(30)
      expect(Number(order.summary.original_order_total)).toBe(310)
      expect(Number(order.credit_line_total)).toBe(30)
      expect(Number(order.total)).toBe(280)

      const refunded = await events.waitFor("payment.refunded", (e) => e.data.id === payment_id)
      expect(refunded.data).toEqual({ id: payment_id })
    })
  },
})
