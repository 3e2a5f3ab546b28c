/**
 * Fixtures for integration suites that drive real Medusa flows (see
 * integration-tests/http/store-flow.spec.ts for the end-to-end use):
 *
 *   const store = await seedStore(container)             // region, channel, key, shipping, product
 *   const { customer } = await createCustomer(container) // + token for store routes
 *   const admin = await createAdminUser(container)       // + token for admin routes
 *   const { order_id } = await placeOrder(container, store, { customer_id: customer.id })
 *   await refundPayment(container, order_id, 30)         // captures first if needed
 *   await cancelOrder(container, order_id)
 *
 * Every helper takes the app container (`getContainer()` of
 * medusaIntegrationTestRunner). The runner snapshots the database right before
 * the first test (after the suite's top-level `beforeAll` hooks) and restores
 * that snapshot before every later test: data seeded in a top-level `beforeAll`
 * is therefore present, fresh, in every test (ids stay valid); data created in
 * a test is gone in the next one. A `beforeAll` in a nested `describe` that
 * starts after the first test is wiped by the next restore: seed at the top.
 */
export * from "./audit"
export * from "./auth"
export * from "./events"
export * from "./order"
export * from "./program"
export * from "./store"
