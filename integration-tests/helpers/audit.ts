/**
 * Checks after every test of a suite:
 *
 * - the ledger audit (RULES.md §1.8, `medusa-rewards audit`, issue 7);
 * - the §1.2 figures kept when a cart completed (`rewards_cart_figures`, what the award of the
 *   `order.placed` subscriber reads) equal the figures of the order the cart became, read back
 *   through Query: every checkout of the suites (discounts, tax, shipping, credit and points
 *   paid) is a case.
 *
 * Call `auditAfterEachTest(getContainer)` first thing in a medusaIntegrationTestRunner's
 * `testSuite`: its `afterEach` then runs after the runner's own (which waits for the test's
 * workflow executions to finish) and before the runner restores the database for the next test,
 * so it checks exactly the state the test left. A violation fails that test, naming the invariant
 * and the accounts, or the order and its figures.
 */
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MathBN } from "@medusajs/framework/utils"
import { REWARDS_MODULE } from "../../src/modules/rewards"
import type RewardsModuleService from "../../src/modules/rewards/service"
import { ORDER_FIGURE_FIELDS, orderFigures } from "../../src/workflows/orders/order-figures"
import { rowsOf } from "./program"

export function auditAfterEachTest(getContainer: () => MedusaContainer): void {
  afterEach(async () => {
    const container = getContainer()
    const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
    const audit = await rewards.audit()
    if (audit.violations.length > 0) {
      const shown = audit.violations.slice(0, 10).map((v) => `  §1.8 invariant ${v.invariant}: ${v.message} [${v.accounts.join(", ")}]`)
      throw new Error(`the ledger audit found ${audit.violations.length} violation(s) after this test:\n${shown.join("\n")}`)
    }
    const differing = await keptFiguresDifferingFromOrders(container)
    if (differing.length > 0) {
      throw new Error(`the figures kept at checkout differ from the order's own (RULES.md §1.2):\n${differing.join("\n")}`)
    }
  })
}

/** Orders whose cart's kept figures differ from the order's own, one line each. */
export async function keptFiguresDifferingFromOrders(container: MedusaContainer): Promise<string[]> {
  const kept = await rowsOf(container, `select cart_id, customer_id, figures from rewards_cart_figures where deleted_at is null`)
  if (kept.length === 0) return []
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data: links } = await query.graph({
    entity: "order_cart",
    fields: ["order_id", "cart_id"],
    filters: { cart_id: kept.map((k) => k.cart_id) },
  })
  if (links.length === 0) return []
  const { data: orders } = await query.graph({
    entity: "order",
    fields: ORDER_FIGURE_FIELDS,
    filters: { id: links.map((l: Record<string, string>) => l.order_id) },
  })
  const orderOfCart = new Map(links.map((l: Record<string, string>) => [l.cart_id, l.order_id]))
  const byId = new Map(orders.map((o: Record<string, any>) => [o.id, orderFigures(o)]))
  const out: string[] = []
  for (const k of kept) {
    const own = byId.get(orderOfCart.get(k.cart_id))
    if (!own) continue // the completion failed: no order
    const same =
      own.customerId === k.customer_id &&
      own.currencyCode === k.figures.currencyCode &&
      (["items", "total", "creditUsed", "pointsUsed"] as const).every((f) => MathBN.eq(own[f], k.figures[f]))
    if (!same) out.push(`  order ${own.orderId}: kept ${JSON.stringify({ customerId: k.customer_id, ...k.figures })}, order ${JSON.stringify(own)}`)
  }
  return out
}
