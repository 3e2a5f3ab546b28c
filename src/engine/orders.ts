/**
 * What an order does (RULES.md §1.2–1.5): its rewards when it matures, and the proportional
 * reversal of every grant when it is refunded.
 */
import { cyclePurchase, recomputeWeight, reverseQuota } from "./cycle"
import { Dec } from "./decimal"
import { growthPurchase, reverseExitCap, reverseGrowthPoints } from "./growth"
import type { Op } from "./op"
import { recomputeLevel, releasePurchase, reverseTranche } from "./release"
import type { Grant, OrderRecord } from "./store"

/**
 * Applies a maturing order's rewards (RULES.md §1.4: as if placed at that moment) for every
 * enabled scheme, and counts it in the day's sales.
 */
export async function awardOrder(op: Op, order: OrderRecord): Promise<void> {
  const eligible = order.amount.minus(order.refundedBefore)
  const buyer = await op.member(order.memberId)
  const referrer = buyer.referrerId ? await op.member(buyer.referrerId) : null
  buyer.netSpend = buyer.netSpend.plus(eligible)
  op.touchMember(buyer)
  order.status = "matured"
  order.matured = eligible
  const s = op.cfg.schemes
  const grants: Grant[] = []
  if (s.growth.enabled) grants.push(...(await growthPurchase(op, buyer.id, referrer?.id ?? null, eligible)))
  if (s.cycle.enabled) {
    grants.push(...(await cyclePurchase(op, buyer.id, referrer?.id ?? null, eligible)))
    await recomputeWeight(op, buyer, referrer)
  }
  if (s.release.enabled) grants.push(...(await releasePurchase(op, buyer, order.id, order.seq, eligible)))
  order.grants = grants
  op.touchOrder(order)
  op.addDaySales(op.day, eligible)
}

/**
 * RULES.md §1.5: after refunds totalling F × E each grant G is worth floor(G × (1 − F)); the
 * difference from its previous worth is reversed now, so nothing is ever reversed twice.
 */
export async function reverseOrder(op: Op, order: OrderRecord, amount: Dec): Promise<void> {
  order.refundedAfter = order.refundedAfter.plus(amount)
  const net = order.matured.minus(order.refundedAfter)
  const buyer = await op.member(order.memberId)
  const referrer = buyer.referrerId ? await op.member(buyer.referrerId) : null
  let trancheReversal = 0n
  for (const grant of order.grants) {
    const worth = BigInt(new Dec(grant.amount.toString()).times(net).div(order.matured).floor().toFixed(0))
    const delta = grant.worth - worth
    grant.worth = worth
    if (delta === 0n) continue
    await op.memberBalances(grant.memberId)
    switch (grant.kind) {
      case "growth.buyer":
      case "growth.referrer":
        await reverseGrowthPoints(op, grant.memberId, delta)
        break
      case "exitCap":
        await reverseExitCap(op, grant.memberId, delta)
        break
      case "cycle.quota":
      case "cycle.referralQuota":
        await reverseQuota(op, grant.memberId, delta)
        break
      case "release.tranche":
        trancheReversal = delta // below, together with the tranche's new net amount
        break
    }
  }
  const tranche = (await op.tranchesOf(buyer.id)).find((t) => t.orderId === order.id)
  if (tranche) {
    await reverseTranche(op, tranche, trancheReversal, net)
    await recomputeLevel(op, buyer)
  }
  buyer.netSpend = buyer.netSpend.minus(amount)
  op.touchMember(buyer)
  if (op.cfg.schemes.cycle.enabled) await recomputeWeight(op, buyer, referrer)
  op.addDaySales(op.day, amount.negated())
  op.touchOrder(order)
}
