/**
 * Checkouts of `npm run bench:orders`, the same in both Medusa processes: every cart of a
 * block is prepared first with Medusa's workflows (cart with the buyer and its items,
 * shipping method, payment collection and a session of the system provider; untimed, the
 * block's carts concurrently), then each is completed by `completeCartWorkflow`, timed, one
 * at a time.
 */
import type { MedusaContainer } from "@medusajs/framework/types"
import { addShippingMethod, completeCart, createCart, initiatePayment } from "../../scripts/lib/order"
import type { SeededStore } from "../../scripts/lib/store"

/** 2 × 100 CNY: eligible 200, above the release threshold of the bench program (a tranche). */
export const QUANTITY = 2

export type DepthClass = "shallow" | "deep"

export interface Buyer {
  id: string
  email: string
  depth: DepthClass
}

export interface CompleteArgs {
  store: SeededStore
  buyers: Buyer[]
}

export interface Completion {
  buyer: Buyer
  orderId: string
  /** completeCartWorkflow run(), ms */
  complete: number
  /** performance.now() when run() returned (this process's clock) */
  returnedAt: number
}

export const now = () => performance.now()

/**
 * Prepares one cart per buyer, then completes them one by one. `after` runs after each
 * completion before the next one starts (the plugin process waits there for its subscriber).
 */
export async function checkoutBlock(
  container: MedusaContainer,
  { store, buyers }: CompleteArgs,
  after: (c: Completion) => Promise<void> = async () => undefined
): Promise<{ completions: Completion[]; prepareMs: number }> {
  const t = now()
  // untimed, so the block's carts are prepared concurrently
  const carts = await Promise.all(
    buyers.map(async (buyer) => {
      const cart = await createCart(container, store, {
        customer_id: buyer.id,
        email: buyer.email,
        items: [{ variant_id: store.variant.id, quantity: QUANTITY }],
      })
      await addShippingMethod(container, cart.id, store.shippingOption.id)
      await initiatePayment(container, cart.id)
      return { id: cart.id, buyer }
    })
  )
  const prepareMs = now() - t
  const completions: Completion[] = []
  for (const cart of carts) {
    const t0 = now()
    const order = await completeCart(container, cart.id)
    const t1 = now()
    const c: Completion = { buyer: cart.buyer, orderId: order.id, complete: t1 - t0, returnedAt: t1 }
    await after(c)
    completions.push(c)
  }
  return { completions, prepareMs }
}
