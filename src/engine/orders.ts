/**
 * What an order does (RULES.md §1.2–1.5): its rewards when it matures, and the proportional
 * reversal of every grant when it is refunded.
 */
import { cyclePurchase, recomputeWeight, reverseQuota } from "./cycle"
import { Dec } from "./decimal"
import { growthPurchase, refreshPrice, reverseExitCap, reverseGrowthPoints } from "./growth"
import type { Op } from "./op"
import { recomputeLevel, releasePurchase, reverseTranche } from "./release"
import { GRANT, GRANT_KINDS, type OrderRecord, emptyGrants } from "./store"

/**
 * Applies a maturing order's rewards (RULES.md §1.4: as if placed at that moment) for every
 * enabled scheme, and counts it in the day's sales.
 */
export async function awardOrder(op: Op, order: OrderRecord): Promise<void> {
  const eligible = order.refundedBefore.isZero() ? order.amount : order.amount.minus(order.refundedBefore)
  const buyer = await op.member(order.memberId)
  const referrer = buyer.referrerId ? await op.member(buyer.referrerId) : null
  buyer.netSpend = buyer.netSpend.plus(eligible)
  op.touchMember(buyer)
  order.status = "matured"
  order.matured = eligible
  order.referrerId = referrer?.id ?? null
  const s = op.cfg.schemes
  const grants = emptyGrants()
  if (s.growth.enabled) await growthPurchase(op, buyer.id, order.referrerId, eligible, grants)
  if (s.cycle.enabled) {
    await cyclePurchase(op, buyer.id, order.referrerId, eligible, grants)
    await recomputeWeight(op, buyer, referrer)
  }
  if (s.release.enabled) await releasePurchase(op, buyer, order.id, order.seq, eligible, grants)
  order.granted = grants.some((g) => g > 0n) ? grants : null
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
  const granted = order.granted
  if (granted) {
    const worthBefore = order.worth ?? granted
    const worthNow = granted.map((g) => BigInt(new Dec(g.toString()).times(net).div(order.matured).floor().toFixed(0)))
    order.worth = worthNow
    for (let k = 0; k < GRANT_KINDS.length; k++) {
      const delta = worthBefore[k] - worthNow[k]
      if (delta === 0n) continue
      const kind = GRANT_KINDS[k]
      const receiver = kind === "growth.referrer" || kind === "cycle.referralQuota" ? order.referrerId! : buyer.id
      await op.memberBalances(receiver)
      switch (kind) {
        case "growth.buyer":
        case "growth.referrer":
          await reverseGrowthPoints(op, receiver, delta)
          break
        case "exitCap":
          await reverseExitCap(op, receiver, delta)
          break
        case "cycle.quota":
        case "cycle.referralQuota":
          await reverseQuota(op, receiver, delta)
          break
        case "release.tranche":
          trancheReversal = delta // below, together with the tranche's new net amount
          break
      }
    }
  }
  if (granted && (granted[GRANT["growth.buyer"]] > 0n || granted[GRANT["growth.referrer"]] > 0n)) await refreshPrice(op)
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
