/**
 * Run with `medusa exec` by redis.spec.ts (and faults or load tooling), in a real Medusa process
 * with the repository's medusa-config.ts (the Redis modules when MEDUSA_REWARDS_REDIS_URL is
 * set; `medusa exec` always runs as a `server` instance: it emits events, workers handle them):
 * - REWARDS_SCRIPT=seed: imports a member base of REWARDS_MEMBERS (a forest plus a chain), each
 *   with one order, on business day REWARDS_DAY (the clock pinned to 10:00 UTC that day);
 * - REWARDS_SCRIPT=close: closes every day due at REWARDS_NOW (an ISO instant) and audits;
 * - REWARDS_SCRIPT=order: builds a store (region, channel, shipping, product), a customer and
 *   places one order through Medusa's checkout workflows, on the real clock. Its `order.placed`
 *   goes to the event bus (Redis: a worker handles it). Prints one JSON line `{ orderId, ... }`.
 */
import type { ExecArgs } from "@medusajs/framework/types"
import { REWARDS_MODULE } from "../../src/modules/rewards"
import type RewardsModuleService from "../../src/modules/rewards/service"
import type { ImportItem } from "../../src/modules/rewards/types"
import { createCustomer } from "../../scripts/lib/auth"
import { placeOrder } from "../../scripts/lib/order"
import { seedStore } from "../../scripts/lib/store"

export default async function redisScript({ container }: ExecArgs) {
  const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
  switch (process.env.REWARDS_SCRIPT) {
    case "seed": {
      rewards.setClock(() => new Date(`${process.env.REWARDS_DAY}T10:00:00Z`))
      const n = Number(process.env.REWARDS_MEMBERS ?? 300)
      const items: ImportItem[] = []
      for (let i = 0; i < n; i++) {
        const referrer = i === 0 ? null : i % 3 === 0 ? `cus_${Math.max(0, i - 3)}` : `cus_${(i * 7919) % i}`
        items.push({ join: { customerId: `cus_${i}`, referrerId: referrer } })
        items.push({ order: { orderId: `ord_${i}`, customerId: `cus_${i}`, amount: String(300 + ((i * 37) % 11) * 450) } })
      }
      await rewards.importBatch("import:base", items)
      process.stdout.write(`seeded ${n}\n`)
      return
    }
    case "close": {
      const now = new Date(process.env.REWARDS_NOW!)
      rewards.setClock(() => now)
      const closed = await rewards.closeDueDays()
      const audit = await rewards.audit()
      process.stdout.write(`closed ${closed.join(",")} audit ${audit.ok ? "ok" : JSON.stringify(audit.violations.slice(0, 3))}\n`)
      return
    }
    case "order": {
      // one store per run: a country belongs to one region (REWARDS_COUNTRY for another run)
      const country = process.env.REWARDS_COUNTRY ?? "cn"
      const store = await seedStore(container, { currency: "cny", country, unitPrice: 100, shippingPrice: 10, name: `Redis test ${country}` })
      const { customer } = await createCustomer(container)
      const quantity = Number(process.env.REWARDS_QUANTITY ?? 3)
      const { order_id } = await placeOrder(container, store, {
        customer_id: customer.id,
        items: [{ variant_id: store.variant.id, quantity }],
      })
      // A workflow's events are released to the bus when it finishes, by a handler that
      // `run()` does not wait for; `medusa exec` exits the process as soon as this function
      // returns, which would drop the order's `order.placed` on the floor.
      await new Promise((resolve) => setTimeout(resolve, 3000))
      process.stdout.write(`${JSON.stringify({ orderId: order_id, customerId: customer.id, items: String(quantity * 100) })}\n`)
      return
    }
    default:
      throw new Error(`REWARDS_SCRIPT: seed, close or order (got ${process.env.REWARDS_SCRIPT})`)
  }
}
