/**
 * Scheme `growth` (RULES.md §2): the reserve pool, growth points, sell-back, conversion to
 * stable credit and forced exits.
 */
import { Dec, floorAtoms, fromAtoms } from "./decimal"
import { SYSTEM, memberAccount } from "./ledger"
import type { Op } from "./op"
import { GRANT, type GrantVector } from "./store"

const PRICE_DECIMALS = 12

export interface GrowthTotals {
  /** Pool money, atoms. */
  pool: bigint
  /** Cumulative issuance: issued minus what went back to issuance (RULES.md §2.2). */
  issued: bigint
  burned: bigint
  treasury: bigint
  /** issued − burned: every point held by members or the treasury. */
  supply: bigint
}

export async function growthTotals(op: Op): Promise<GrowthTotals> {
  const pool = await op.systemBalance(SYSTEM.growthPool, "MONEY")
  const issued = -(await op.systemBalance(SYSTEM.issuance, "GROWTH"))
  const burned = await op.systemBalance(SYSTEM.burned, "GROWTH")
  const treasury = await op.systemBalance(SYSTEM.treasury, "GROWTH")
  return { pool, issued, burned, treasury, supply: issued - burned }
}

/**
 * RULES.md §2.1: price = pool ÷ supply rounded down to 12 decimals; with no supply the price
 * keeps its last value (initialPrice before any point existed). Called after every change
 * of pool or supply.
 */
export async function refreshPrice(op: Op): Promise<void> {
  const t = await growthTotals(op)
  if (t.supply > 0n) {
    const price = new Dec(t.pool.toString())
      .div(new Dec(t.supply.toString()))
      .toDecimalPlaces(PRICE_DECIMALS, Dec.ROUND_FLOOR)
    if (!price.eq(op.program.growthPrice)) {
      op.program.growthPrice = price
      op.touchProgram()
    }
  }
}

/** Room left under `maxSupply`, rounded down to scale (RULES.md §2.2). */
function roomUnderCap(op: Op, issued: bigint): bigint {
  const cap = floorAtoms(op.cfg.schemes.growth.maxSupply, op.scale)
  return cap > issued ? cap - issued : 0n
}

/**
 * RULES.md §2.2: a maturing order of eligible amount E by buyer B (referrer R).
 * Records what it granted in `grants`, for later refunds (RULES.md §1.5).
 */
export async function growthPurchase(
  op: Op,
  buyerId: string,
  referrerId: string | null,
  eligible: Dec,
  grants: GrantVector
): Promise<void> {
  const g = op.cfg.schemes.growth
  const scale = op.scale
  const price = op.program.growthPrice // 1. the price before this order
  const contribution = floorAtoms(g.poolRate.times(eligible), scale) // c, rounded down (§1.6)
  const c = fromAtoms(contribution, scale)
  const totals = await growthTotals(op)
  let room = roomUnderCap(op, totals.issued)

  // 2. the buyer first, then the referrer, each min(wanted, room)
  const buyerWanted = floorAtoms(g.buyerIssueRate.times(c).div(price), scale)
  const buyerPoints = buyerWanted < room ? buyerWanted : room
  room -= buyerPoints
  await op.memberBalances(buyerId)
  await op.inflow(buyerId, "GROWTH", SYSTEM.issuance, buyerPoints, "growth.issue.buyer")
  grants[GRANT["growth.buyer"]] = buyerPoints
  if (referrerId && g.referrerIssueRate.gt(0)) {
    const wanted = floorAtoms(g.referrerIssueRate.times(c).div(price), scale)
    const points = wanted < room ? wanted : room
    await op.memberBalances(referrerId)
    await op.inflow(referrerId, "GROWTH", SYSTEM.issuance, points, "growth.issue.referrer")
    grants[GRANT["growth.referrer"]] = points
  }

  // 3. c enters the pool in full
  await op.post("MONEY", SYSTEM.sales, SYSTEM.growthPool, contribution, "growth.contribution")
  await refreshPrice(op)

  // 4. the exit cap grows by exitCapMultiple × E
  if (g.exitCapMultiple.gt(0)) {
    const cap = floorAtoms(g.exitCapMultiple.times(eligible), scale)
    await op.post("EXIT_CAP", SYSTEM.platform, memberAccount(buyerId), cap, "exitcap.grant")
    grants[GRANT.exitCap] = cap
  }
}

/**
 * RULES.md §2.3: sell `points` at the current price; the member receives
 * floor(x × p × (1 − fee)) as stable credit, the pool falls by that only, the points burn.
 * Returns the gross value (x × p, rounded down) and the proceeds.
 */
export async function sellBack(
  op: Op,
  memberId: string,
  points: bigint,
  reasons: { burn: "growth.sell" | "growth.exit"; proceeds: "growth.sell.proceeds" | "growth.exit.proceeds" }
): Promise<{ gross: bigint; proceeds: bigint }> {
  const g = op.cfg.schemes.growth
  const scale = op.scale
  const value = fromAtoms(points, scale).times(op.program.growthPrice)
  const gross = floorAtoms(value, scale)
  const proceeds = floorAtoms(value.times(new Dec(1).minus(g.sellFeeRate)), scale)
  await op.post("GROWTH", memberAccount(memberId), SYSTEM.burned, points, reasons.burn)
  await op.post("MONEY", SYSTEM.growthPool, SYSTEM.platform, proceeds, reasons.proceeds)
  // Decision (§1.7): proceeds are an inflow of credit like a conversion, so they settle credit debt first
  await op.inflow(memberId, "CREDIT", SYSTEM.platform, proceeds, reasons.proceeds)
  await refreshPrice(op)
  return { gross, proceeds }
}

/**
 * RULES.md §2.5: convert growth points into stable credit at price × stableRate. The points go
 * to the treasury: not burned, the price does not change.
 */
export async function convertToCredit(op: Op, memberId: string, points: bigint): Promise<bigint> {
  const g = op.cfg.schemes.growth
  const credit = floorAtoms(
    fromAtoms(points, op.scale).times(op.program.growthPrice).times(g.stableRate),
    op.scale
  )
  await op.post("GROWTH", memberAccount(memberId), SYSTEM.treasury, points, "growth.convert")
  await op.inflow(memberId, "CREDIT", SYSTEM.platform, credit, "growth.convert.credit")
  return credit
}

/**
 * RULES.md §1.5 for growth points: the reversal comes out of held points (back to issuance);
 * what is no longer held becomes growth debt. The pool keeps the contribution. The caller
 * refreshes the price once the whole refund is reversed: a price taken between two grants'
 * reversals could see a supply that only passes through 0 and keep a value never committed.
 */
export async function reverseGrowthPoints(op: Op, memberId: string, amount: bigint): Promise<void> {
  await op.clawBack(memberId, "GROWTH", SYSTEM.issuance, amount)
}

/** RULES.md §2.4: a refund reduces the exit cap by the reversed share, floored at 0. */
export async function reverseExitCap(op: Op, memberId: string, amount: bigint): Promise<void> {
  const cap = await op.balance(memberId, "EXIT_CAP")
  const taken = cap < amount ? cap : amount
  await op.post("EXIT_CAP", memberAccount(memberId), SYSTEM.platform, taken, "refund.reverse")
}

/** The price as an integer count of 10^-12 units, for exact comparisons in bulk. */
export function priceUnits(price: Dec): bigint {
  return BigInt(price.toFixed(PRICE_DECIMALS).replace(".", ""))
}

/**
 * Holdings × price ≥ cap, exactly (a holder whose cap is 0 is due), RULES.md §2.4.
 * Both sides in atoms × 10^-12: holdings × price units against cap × 10^12.
 */
export function exitDue(holdings: bigint, cap: bigint, price: bigint): boolean {
  return holdings * price >= cap * 1_000_000_000_000n
}
