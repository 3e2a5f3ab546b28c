/**
 * The checkout and after-sale steps of a real order, each one Medusa's own
 * workflow: cart -> line items -> shipping method -> payment collection and
 * session (system provider) -> `completeCartWorkflow` -> order; then capture,
 * (partial) refund and cancel.
 *
 * Shared by the integration tests (integration-tests/helpers re-exports it) and
 * `npm run demo` (scripts/demo/seed.ts).
 */
import {
  addShippingMethodToCartWorkflow,
  addToCartWorkflow,
  cancelOrderWorkflow,
  capturePaymentWorkflow,
  completeCartWorkflow,
  createCartWorkflow,
  createPaymentCollectionForCartWorkflow,
  createPaymentSessionsWorkflow,
  refundPaymentWorkflow,
} from "@medusajs/core-flows"
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { SYSTEM_PAYMENT_PROVIDER, type SeededStore } from "./store"

export type LineInput = { variant_id: string; quantity: number }

export function testAddress(country: string) {
  return {
    first_name: "Test",
    last_name: "Customer",
    address_1: "2 Test Street",
    city: "Shanghai",
    postal_code: "200000",
    country_code: country,
    phone: "13800000000",
  }
}

export type AddressInput = Partial<ReturnType<typeof testAddress>>

export type CartInput = {
  customer_id?: string
  email?: string
  items?: LineInput[]
  /** Overrides fields of the default (`testAddress`) shipping and billing address. */
  address?: AddressInput
}

export async function createCart(
  container: MedusaContainer,
  store: SeededStore,
  data: CartInput = {}
): Promise<{ id: string }> {
  const address = { ...testAddress(store.country), ...data.address }
  const { result: cart } = await createCartWorkflow(container).run({
    input: {
      region_id: store.region.id,
      sales_channel_id: store.salesChannel.id,
      currency_code: store.currency,
      customer_id: data.customer_id,
      email: data.email,
      shipping_address: address,
      billing_address: address,
      items: data.items,
    },
  })
  return { id: cart.id }
}

export async function addLineItems(
  container: MedusaContainer,
  cartId: string,
  items: LineInput[]
): Promise<void> {
  await addToCartWorkflow(container).run({ input: { cart_id: cartId, items } })
}

export async function addShippingMethod(
  container: MedusaContainer,
  cartId: string,
  shippingOptionId: string
): Promise<void> {
  await addShippingMethodToCartWorkflow(container).run({
    input: { cart_id: cartId, options: [{ id: shippingOptionId }] },
  })
}

/** Payment collection for the cart total + a session with the system provider. */
export async function initiatePayment(
  container: MedusaContainer,
  cartId: string,
  providerId: string = SYSTEM_PAYMENT_PROVIDER
): Promise<{ payment_collection_id: string; payment_session_id: string }> {
  const { result: collection } = await createPaymentCollectionForCartWorkflow(
    container
  ).run({ input: { cart_id: cartId } })
  const { result: session } = await createPaymentSessionsWorkflow(container).run({
    input: { payment_collection_id: collection.id, provider_id: providerId },
  })
  return { payment_collection_id: collection.id, payment_session_id: session.id }
}

/** Authorizes the payment and turns the cart into an order. */
export async function completeCart(
  container: MedusaContainer,
  cartId: string
): Promise<{ id: string }> {
  const { result } = await completeCartWorkflow(container).run({
    input: { id: cartId },
  })
  return { id: result.id }
}

export type PlacedOrder = { cart_id: string; order_id: string }

/**
 * The whole checkout: cart with the customer, items (default: one unit of the
 * seeded variant), the seeded shipping option, system payment, completion.
 */
export async function placeOrder(
  container: MedusaContainer,
  store: SeededStore,
  data: CartInput = {}
): Promise<PlacedOrder> {
  const cart = await createCart(container, store, {
    customer_id: data.customer_id,
    email: data.email,
    address: data.address,
  })
  await addLineItems(
    container,
    cart.id,
    data.items ?? [{ variant_id: store.variant.id, quantity: 1 }]
  )
  await addShippingMethod(container, cart.id, store.shippingOption.id)
  await initiatePayment(container, cart.id)
  const order = await completeCart(container, cart.id)
  return { cart_id: cart.id, order_id: order.id }
}

export const ORDER_FIELDS = [
  "id",
  "display_id",
  "status",
  "email",
  "customer_id",
  "region_id",
  "sales_channel_id",
  "currency_code",
  "canceled_at",
  "metadata",
  "total",
  "subtotal",
  "item_total",
  "item_subtotal",
  "shipping_total",
  "tax_total",
  "discount_total",
  "credit_line_total",
  "items.id",
  "items.title",
  "items.variant_id",
  "items.product_id",
  "items.quantity",
  "items.unit_price",
  "items.total",
  "customer.id",
  "customer.email",
  "summary.*",
  "credit_lines.*",
  "payment_collections.id",
  "payment_collections.status",
  "payment_collections.amount",
  "payment_collections.payments.id",
  "payment_collections.payments.amount",
  "payment_collections.payments.provider_id",
  "payment_collections.payments.captured_at",
  "payment_collections.payments.canceled_at",
  "payment_collections.payments.captures.id",
  "payment_collections.payments.captures.amount",
  "payment_collections.payments.refunds.id",
  "payment_collections.payments.refunds.amount",
  "payment_collections.payments.refunds.note",
]

/** The order as Query returns it (totals computed), or throws if absent. */
export async function getOrder(
  container: MedusaContainer,
  orderId: string,
  fields: string[] = ORDER_FIELDS
): Promise<any> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph(
    { entity: "order", fields, filters: { id: orderId } },
    { throwIfKeyNotFound: true }
  )
  return data[0]
}

/** Payments of an order (all its payment collections). */
export async function getOrderPayments(
  container: MedusaContainer,
  orderId: string
): Promise<any[]> {
  const order = await getOrder(container, orderId)
  return (order.payment_collections ?? []).flatMap((pc: any) => pc.payments ?? [])
}

/** Captures the order's (first) payment in full, or `amount` of it. */
export async function capturePayment(
  container: MedusaContainer,
  orderId: string,
  amount?: number
): Promise<{ payment_id: string }> {
  const [payment] = await getOrderPayments(container, orderId)
  if (!payment) throw new Error(`order ${orderId} has no payment`)
  await capturePaymentWorkflow(container).run({
    input: { payment_id: payment.id, amount },
  })
  return { payment_id: payment.id }
}

/**
 * Refunds `amount` (major units) of the order's (first) payment, capturing it
 * first if it was only authorized (a refund needs a capture). Medusa records a
 * refund on the payment, an order transaction and, when nothing is owed, an
 * order credit line of the same amount; it emits `payment.refunded`.
 */
export async function refundPayment(
  container: MedusaContainer,
  orderId: string,
  amount: number,
  data: { note?: string; created_by?: string } = {}
): Promise<{ payment_id: string }> {
  const [payment] = await getOrderPayments(container, orderId)
  if (!payment) throw new Error(`order ${orderId} has no payment`)
  if (!payment.captures?.length) {
    await capturePaymentWorkflow(container).run({ input: { payment_id: payment.id } })
  }
  await refundPaymentWorkflow(container).run({
    input: { payment_id: payment.id, amount, note: data.note, created_by: data.created_by },
  })
  return { payment_id: payment.id }
}

/**
 * Cancels the order (no fulfillments allowed): uncaptured payments are
 * canceled, captured ones refunded; emits `order.canceled`.
 */
export async function cancelOrder(
  container: MedusaContainer,
  orderId: string,
  canceledBy?: string
): Promise<void> {
  await cancelOrderWorkflow(container).run({
    input: { order_id: orderId, canceled_by: canceledBy },
  })
}
