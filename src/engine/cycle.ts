/**
 * Scheme `cycle` (RULES.md §3): quota and weight from purchases, and the daily payout of the
 * pro-rata pool and the tier pools.
 */
import type { CycleConfig } from "./config"
import { Dec, floorAtoms } from "./decimal"
import { SYSTEM, memberAccount } from "./ledger"
import type { Op } from "./op"
import { GRANT, type GrantVector, type MemberRecord } from "./store"

/** Weight used for payouts: max(0, purchase + referral + admin) (RULES.md §3.1, §5). */
export function effectiveWeight(m: MemberRecord): bigint {
  const w = m.purchaseWeight + m.referralWeight + m.adminWeight
  return w > 0n ? w : 0n
}

/** Moves the WEIGHT balance to the member's effective weight (every change is a transfer). */
export async function syncWeight(op: Op, m: MemberRecord): Promise<void> {
  const current = await op.balance(m.id, "WEIGHT")
  const target = effectiveWeight(m)
  if (target > current) {
    await op.post("WEIGHT", SYSTEM.platform, memberAccount(m.id), target - current, "cycle.weight")
  } else if (target < current) {
    await op.post("WEIGHT", memberAccount(m.id), SYSTEM.platform, current - target, "cycle.weight")
  }
}

/**
 * RULES.md §3.1: purchase weight = floor(net spend ÷ weightUnit); when it changes by Δ, the
 * referrer's referral weight changes by trunc(referralWeightRate × Δ) and never goes below 0.
 * Called after the member's net spend changed (a purchase or a refund).
 */
export async function recomputeWeight(op: Op, buyer: MemberRecord, referrer: MemberRecord | null): Promise<void> {
  const c = op.cfg.schemes.cycle
  const purchaseWeight = BigInt(buyer.netSpend.div(c.weightUnit).floor().toFixed(0))
  const delta = purchaseWeight - buyer.purchaseWeight
  if (delta === 0n) return
  buyer.purchaseWeight = purchaseWeight
  op.touchMember(buyer)
  await syncWeight(op, buyer)
  if (referrer && c.referralWeightRate.gt(0)) {
    // trunc: the product rounded toward zero (−0.5 gives 0)
    const change = BigInt(c.referralWeightRate.times(delta.toString()).trunc().toFixed(0))
    if (change !== 0n) {
      const next = referrer.referralWeight + change
      referrer.referralWeight = next > 0n ? next : 0n // the rest of a decrease is forgotten
      op.touchMember(referrer)
      await syncWeight(op, referrer)
    }
  }
}

/** RULES.md §3.1: quota for the buyer (quotaMultiple × E) and the referrer (referralQuotaRate × E). */
export async function cyclePurchase(
  op: Op,
  buyerId: string,
  referrerId: string | null,
  eligible: Dec,
  grants: GrantVector
): Promise<void> {
  const c = op.cfg.schemes.cycle
  const quota = floorAtoms(c.quotaMultiple.times(eligible), op.scale)
  await op.post("QUOTA", SYSTEM.platform, memberAccount(buyerId), quota, "cycle.quota")
  grants[GRANT["cycle.quota"]] = quota
  if (referrerId && c.referralQuotaRate.gt(0)) {
    const rq = floorAtoms(c.referralQuotaRate.times(eligible), op.scale)
    await op.post("QUOTA", SYSTEM.platform, memberAccount(referrerId), rq, "cycle.quota.referral")
    grants[GRANT["cycle.referralQuota"]] = rq
  }
}

/**
 * RULES.md §1.5 for quota: the reversal comes out of remaining quota first, then out of the
 * stable credit that paid-out quota turned into; the rest becomes credit debt.
 */
export async function reverseQuota(op: Op, memberId: string, amount: bigint): Promise<void> {
  const quota = await op.balance(memberId, "QUOTA")
  const fromQuota = quota < amount ? quota : amount
  await op.post("QUOTA", memberAccount(memberId), SYSTEM.platform, fromQuota, "refund.reverse")
  await op.clawBack(memberId, "CREDIT", SYSTEM.platform, amount - fromQuota)
}

/** The pools of business day D (RULES.md §3.2): P and Tₖ from max(S, 0), rounded down. */
export function dayPools(c: CycleConfig, sales: Dec, scale: number): { proRata: bigint; tiers: bigint[] } {
  const s = sales.gt(0) ? sales : new Dec(0)
  return {
    proRata: floorAtoms(c.proRataPoolRate.times(s), scale),
    tiers: c.tiers.map((t) => floorAtoms(t.rate.times(s), scale)),
  }
}

/** Tier ranges as integers, for the per-member lookup of a day close. */
export type TierBounds = { min: bigint; max: bigint | null }[]

export function tierBounds(c: CycleConfig): TierBounds {
  return c.tiers.map((t) => ({ min: BigInt(t.min), max: t.max === null ? null : BigInt(t.max) }))
}

/** The tier whose integer weight range holds `weight` (ranges never overlap), or −1. */
export function tierOf(bounds: TierBounds, weight: bigint): number {
  for (let k = 0; k < bounds.length; k++) {
    const t = bounds[k]
    if (weight >= t.min && (t.max === null || weight <= t.max)) return k
  }
  return -1
}

/**
 * RULES.md §3.2 steps 1–3 for one active member: floor(P × w ÷ Σw), then the tier share
 * floor(Tₖ ÷ count); capped at the remaining quota, pro-rata part first.
 */
export function memberPayout(
  weight: bigint,
  quota: bigint,
  proRataPool: bigint,
  totalWeight: bigint,
  tierShare: bigint
): bigint {
  const proRata = weight > 0n && totalWeight > 0n ? (proRataPool * weight) / totalWeight : 0n
  const paidProRata = proRata < quota ? proRata : quota
  const left = quota - paidProRata
  const paidTier = tierShare < left ? tierShare : left
  return paidProRata + paidTier
}
