/**
 * Scheme `release` (RULES.md §4): tranches of locked points from large purchases, membership
 * levels, and what a refund takes back. The daily release itself is the bottom-up pass in
 * team.ts.
 */
import type { ReleaseConfig, TeamLevel } from "./config"
import { Dec, floorAtoms } from "./decimal"
import { SYSTEM, memberAccount } from "./ledger"
import type { Op } from "./op"
import { GRANT, type GrantVector, type MemberRecord, type TrancheRecord } from "./store"

/** The highest level whose threshold ≤ amount, or null (RULES.md §4.1). */
export function levelOf(r: ReleaseConfig, amount: Dec): number | null {
  let found: number | null = null
  for (let i = 0; i < r.levels.length; i++) {
    if (r.levels[i].threshold.lte(amount)) found = i
  }
  return found
}

/** Star level (1-based, 0 for none) for a team performance (RULES.md §4.4). */
export function starLevelOf(teamLevels: TeamLevel[], performance: Dec): number {
  // thresholds strictly increase (RULES.md §1.9): stop at the first one not reached
  let star = 0
  while (star < teamLevels.length && teamLevels[star].threshold.lte(performance)) star++
  return star
}

/** floor(dailyReleaseRate × net order amount), RULES.md §4.2. */
export function dailyBaseOf(r: ReleaseConfig, netAmount: Dec, scale: number): bigint {
  return floorAtoms(r.dailyReleaseRate.times(netAmount), scale)
}

/**
 * A member's level: the highest level that the net amount of any matured order reaches
 * (RULES.md §4.1). Every order that reaches a level made a tranche, so the tranches suffice.
 */
export async function recomputeLevel(op: Op, m: MemberRecord): Promise<void> {
  const r = op.cfg.schemes.release
  let level: number | null = null
  for (const t of await op.tranchesOf(m.id)) {
    const l = levelOf(r, t.netAmount)
    if (l !== null && (level === null || l > level)) level = l
  }
  if (level !== m.level) {
    m.level = level
    op.touchMember(m)
  }
}

/** RULES.md §4.1: an order of E ≥ the lowest threshold makes a tranche of floor(m × E). */
export async function releasePurchase(
  op: Op,
  buyer: MemberRecord,
  orderId: string,
  orderSeq: number,
  eligible: Dec,
  grants: GrantVector
): Promise<void> {
  const r = op.cfg.schemes.release
  const level = levelOf(r, eligible)
  if (level === null) return
  const multiple = r.levels[level].multiple
  const locked = floorAtoms(multiple.times(eligible), op.scale)
  await op.addTranche({
    orderId,
    memberId: buyer.id,
    seq: orderSeq,
    multiple,
    remaining: locked,
    netAmount: eligible,
    dailyBase: dailyBaseOf(r, eligible, op.scale),
  })
  await op.post("POINTS_LOCKED", SYSTEM.platform, memberAccount(buyer.id), locked, "release.tranche")
  if (buyer.level === null || level > buyer.level) {
    buyer.level = level
    op.touchMember(buyer)
  }
  grants[GRANT["release.tranche"]] = locked
}

/**
 * RULES.md §1.5 for a tranche: the reversal comes out of the tranche's locked points first,
 * then out of released points, the rest becomes points debt. The tranche releases on the
 * order's net amount from then on.
 */
export async function reverseTranche(
  op: Op,
  tranche: TrancheRecord,
  amount: bigint,
  netAmount: Dec
): Promise<void> {
  const memberId = tranche.memberId
  const fromLocked = tranche.remaining < amount ? tranche.remaining : amount
  tranche.remaining -= fromLocked
  await op.post("POINTS_LOCKED", memberAccount(memberId), SYSTEM.platform, fromLocked, "refund.reverse")
  await op.clawBack(memberId, "POINTS", SYSTEM.release, amount - fromLocked)
  tranche.netAmount = netAmount
  tranche.dailyBase = dailyBaseOf(op.cfg.schemes.release, netAmount, op.scale)
  op.touchTranche(tranche)
}
