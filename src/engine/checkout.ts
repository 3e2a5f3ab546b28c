/**
 * Paying for orders with stable credit (RULES.md §2.5) and released points (§4.7), and giving
 * them back when the order is canceled or refunded (§1.2 decision, §1.7). Pure rules over an
 * {@link Op}: the caller (the store's checkout) says what was asked and what was spent before;
 * every amount is decided here, in atoms of 10^-scale, exactly.
 *
 * Accounts: spent credit and points go to the platform (the merchant redeemed them as
 * payment) and come back from it; a return is an inflow like any other, so it settles the
 * member's debt in that asset first (§1.7).
 */
import type { ProgramConfig } from "./config"
import { Dec, ZERO, fromAtoms, toAtoms } from "./decimal"
import { minorUnitDecimals } from "./eligible"
import { reject } from "./errors"
import { type Reason, SYSTEM, memberAccount } from "./ledger"
import type { Op } from "./op"

/** Credit and points, in atoms of 10^-scale. */
export interface CheckoutAmounts {
  credit: bigint
  points: bigint
}

/** The order being paid, in its own currency. */
export interface CheckoutOrder {
  /** The order total (items, shipping, tax) before anything is paid with credit or points. */
  total: Dec
  currencyCode: string
}

/** What the member holds, in atoms. */
export interface CheckoutHeld {
  credit: bigint
  points: bigint
  creditDebt: bigint
}

/** What the member asks to pay with: credit in currency units (1 credit = 1 unit), points in points. */
export interface CheckoutRequest {
  credit: Dec
  points: Dec
}

/** What an order may be paid with, for a quote (decimals). */
export interface CheckoutLimits {
  currency: string
  /** Decimals of the currency's minor unit (RULES.md §1.6: money only at checkout). */
  minorDecimals: number
  total: Dec
  pointValue: Dec
  /** creditMaxShare × total, rounded down to the minor unit. */
  creditCap: Dec
  /** pointsMaxShare × total, rounded down to the minor unit. */
  pointsValueCap: Dec
  /** The most credit usable now: min(cap, held, total); 0 while the member has credit debt. */
  maxCredit: Dec
  /** The most points usable now, next to `credit`: their value is a whole number of minor units. */
  maxPoints: Dec
  /** Why credit cannot be used at all, or null. */
  creditBlocked: string | null
}

/** A priced use of credit and points: what is debited (atoms) and what it pays (money). */
export interface PricedCheckout {
  credit: bigint
  points: bigint
  creditValue: Dec
  pointsValue: Dec
}

function floorTo(x: Dec, decimals: number): Dec {
  return x.toDecimalPlaces(decimals, Dec.ROUND_FLOOR)
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a < 0n ? -a : a
}

/**
 * The largest number of points (atoms), at most `held`, whose value at `pointValue` is a whole
 * number of minor units and at most `valueLimit`. With pointValue a/b, p atoms are worth
 * p·a·10^d / (b·10^s) minor units: a whole number exactly when p is a multiple of
 * b·10^s / gcd(a·10^d, b·10^s).
 */
export function exactPointsBelow(valueLimit: Dec, pointValue: Dec, minorDecimals: number, scale: number, held: bigint): bigint {
  if (pointValue.lte(0) || valueLimit.lte(0) || held <= 0n) return 0n
  const k = pointValue.decimalPlaces()
  const b = 10n ** BigInt(k)
  const a = BigInt(pointValue.times(b.toString()).toFixed(0))
  const num = a * 10n ** BigInt(minorDecimals)
  const den = b * 10n ** BigInt(scale)
  const step = den / gcd(num, den)
  // value ≤ limit ⟺ p ≤ limit × 10^s / pointValue
  const byValue = BigInt(valueLimit.times(new Dec(10).pow(scale)).div(pointValue).toFixed(0, Dec.ROUND_FLOOR))
  const upper = byValue < held ? byValue : held
  return upper < 0n ? 0n : (upper / step) * step
}

function checkCurrency(cfg: ProgramConfig, order: CheckoutOrder): void {
  const code = String(order.currencyCode ?? "").toUpperCase()
  // Decision (§2.5, §4.7): credit is program currency (1 credit = 1 unit) and points are valued
  // in it; an order in another currency cannot be paid with them (no conversion at checkout).
  if (code !== cfg.currency) {
    reject("currency", `credit and points pay only for orders in the program currency ${cfg.currency}, not ${code || "none"}`)
  }
  if (!order.total.isFinite() || order.total.lt(0)) reject("total", "must be a decimal ≥ 0")
}

/**
 * RULES.md §2.5, §4.7, §1.6, §1.7: what a member may pay an order with. `credit` is the credit
 * already chosen (points fill at most what it leaves of the total).
 */
export function checkoutLimits(
  cfg: ProgramConfig,
  order: CheckoutOrder,
  held: CheckoutHeld,
  credit: Dec = ZERO
): CheckoutLimits {
  checkCurrency(cfg, order)
  const scale = cfg.scale
  const d = minorUnitDecimals(cfg.currency, scale)
  const pointValue = cfg.schemes.release.pointValue
  const total = order.total
  const creditCap = floorTo(cfg.creditMaxShare.times(total), d)
  const pointsValueCap = floorTo(cfg.schemes.release.pointsMaxShare.times(total), d)
  const creditBlocked = held.creditDebt > 0n ? "a member with credit debt cannot spend credit (RULES.md §1.7)" : null
  const heldCredit = floorTo(fromAtoms(held.credit, scale), d)
  const maxCredit = creditBlocked ? ZERO : Dec.max(0, Dec.min(creditCap, heldCredit, total))
  const room = Dec.max(0, total.minus(credit))
  const maxPoints = fromAtoms(exactPointsBelow(Dec.min(pointsValueCap, room), pointValue, d, scale, held.points), scale)
  return { currency: cfg.currency, minorDecimals: d, total, pointValue, creditCap, pointsValueCap, maxCredit, maxPoints, creditBlocked }
}

/**
 * RULES.md §2.5, §4.7: prices a request to pay `order` with credit and points, or rejects it
 * naming the field. Credit pays at most `creditMaxShare` of the total, points at most
 * `pointsMaxShare` at `pointValue` each, both together at most the total, and neither more than
 * the member holds; a member with credit debt cannot spend credit (§1.7).
 *
 * Decision (§1.6 "money in the minor unit only at checkout, rounded down there", with the §1.6
 * decision that a remainder stays in the account it came from): the credit asked for, and the
 * value of the points asked for, must each be a whole number of minor units. A request whose
 * value would need rounding is refused with the nearest amount that needs none, so no point is
 * ever debited for money it did not pay.
 */
export function priceCheckout(cfg: ProgramConfig, order: CheckoutOrder, held: CheckoutHeld, request: CheckoutRequest): PricedCheckout {
  checkCurrency(cfg, order)
  const scale = cfg.scale
  const cur = cfg.currency
  const { credit, points } = request
  if (!credit.isFinite() || credit.lt(0)) reject("credit", "must be a decimal ≥ 0")
  if (!points.isFinite() || points.lt(0)) reject("points", "must be a decimal ≥ 0")
  const limits = checkoutLimits(cfg, order, held, credit)
  const d = limits.minorDecimals
  if (credit.decimalPlaces() > d) {
    reject("credit", `${credit.toFixed()} has more than ${d} decimals: credit pays whole ${cur} minor units`)
  }
  if (points.decimalPlaces() > scale) reject("points", `has more than ${scale} decimals`)
  const creditAtoms = toAtoms(credit, scale)
  const pointAtoms = toAtoms(points, scale)
  if (creditAtoms > 0n) {
    if (limits.creditBlocked) reject("credit", limits.creditBlocked)
    if (creditAtoms > held.credit) {
      reject("credit", `${credit.toFixed()} is more than the ${fromAtoms(held.credit, scale).toFixed()} credit the member holds`)
    }
    if (credit.gt(limits.creditCap)) {
      reject(
        "credit",
        `${credit.toFixed()} is more than creditMaxShare ${cfg.creditMaxShare.toFixed()} of the order total ${order.total.toFixed()} allows (${limits.creditCap.toFixed()})`
      )
    }
  }
  const pointValue = limits.pointValue
  let pointsValue = ZERO
  if (pointAtoms > 0n) {
    if (pointValue.lte(0)) reject("points", "pointValue is 0: points cannot pay for orders")
    if (pointAtoms > held.points) {
      reject("points", `${points.toFixed()} is more than the ${fromAtoms(held.points, scale).toFixed()} points the member holds`)
    }
    pointsValue = points.times(pointValue)
    if (pointsValue.decimalPlaces() > d) {
      const nearest = fromAtoms(exactPointsBelow(pointsValue, pointValue, d, scale, pointAtoms), scale)
      reject(
        "points",
        `${points.toFixed()} points are worth ${pointsValue.toFixed()} ${cur}, not a whole number of minor units; use ${nearest.toFixed()} points`
      )
    }
    if (pointsValue.gt(limits.pointsValueCap)) {
      reject(
        "points",
        `${points.toFixed()} points are worth ${pointsValue.toFixed()} ${cur}, more than pointsMaxShare ${cfg.schemes.release.pointsMaxShare.toFixed()} of the order total allows (${limits.pointsValueCap.toFixed()})`
      )
    }
  }
  if (credit.plus(pointsValue).gt(order.total)) {
    reject(
      pointAtoms > 0n ? "points" : "credit",
      `credit ${credit.toFixed()} and points worth ${pointsValue.toFixed()} together exceed the order total ${order.total.toFixed()}`
    )
  }
  return { credit: creditAtoms, points: pointAtoms, creditValue: credit, pointsValue }
}

/**
 * Spends at checkout (RULES.md §2.5, §4.7): the priced credit and points go to the platform.
 *
 * Decision (§4.7, §2.3 "exist only while growth is enabled" has no counterpart for points):
 * released points a member already holds still pay while the release scheme is off — they are
 * the member's; credit pays whatever scheme produced it.
 */
export async function spendAtCheckout(
  op: Op,
  memberId: string,
  order: CheckoutOrder,
  request: CheckoutRequest
): Promise<PricedCheckout> {
  const member = await op.findMember(memberId)
  if (!member) reject("member", `${memberId} has not joined`)
  const b = await op.memberBalances(member.id)
  const priced = priceCheckout(op.cfg, order, { credit: b.CREDIT, points: b.POINTS, creditDebt: b.DEBT_CREDIT }, request)
  const account = memberAccount(member.id)
  await op.post("CREDIT", account, SYSTEM.platform, priced.credit, "checkout.credit")
  await op.post("POINTS", account, SYSTEM.platform, priced.points, "checkout.points")
  return priced
}

/**
 * RULES.md §1.2 decision: after refunds totalling a share F of the order (a cancellation: F = 1),
 * floor(spent × F) of each asset has gone back; what is due now is that minus what went back
 * before. Cumulative, so a repeated or reordered refund never returns anything twice.
 */
export function checkoutReturnDue(spent: CheckoutAmounts, returned: CheckoutAmounts, share: Dec): CheckoutAmounts {
  if (!share.isFinite() || share.lt(0) || share.gt(1)) reject("refundedShare", "must lie in [0, 1]")
  const due = (s: bigint, r: bigint) => {
    const target = BigInt(new Dec(s.toString()).times(share).toFixed(0, Dec.ROUND_FLOOR))
    return target > r ? target - r : 0n
  }
  return { credit: due(spent.credit, returned.credit), points: due(spent.points, returned.points) }
}

/**
 * Gives credit and points back to a member: an inflow of each, so debt in that asset is
 * settled first (RULES.md §1.7). `release`: the checkout did not complete (its order was never
 * placed); otherwise the order was canceled or refunded.
 */
export async function returnToMember(op: Op, memberId: string, amounts: CheckoutAmounts, release: boolean): Promise<void> {
  await op.memberBalances(memberId)
  const reasons: [Reason, Reason] = release
    ? ["checkout.release.credit", "checkout.release.points"]
    : ["checkout.return.credit", "checkout.return.points"]
  await op.inflow(memberId, "CREDIT", SYSTEM.platform, amounts.credit, reasons[0])
  await op.inflow(memberId, "POINTS", SYSTEM.platform, amounts.points, reasons[1])
}

/**
 * Undoes a return (the compensation of a failed workflow): the amounts go back to the platform;
 * what the member no longer holds becomes debt in that asset (RULES.md §1.7), as any clawback.
 */
export async function undoReturn(op: Op, memberId: string, amounts: CheckoutAmounts): Promise<void> {
  const account = memberAccount(memberId)
  for (const [asset, debt, amount] of [
    ["CREDIT", "DEBT_CREDIT", amounts.credit],
    ["POINTS", "DEBT_POINTS", amounts.points],
  ] as const) {
    const held = await op.balance(memberId, asset)
    const taken = held < amount ? held : amount
    await op.post(asset, account, SYSTEM.platform, taken, "checkout.return.undo")
    await op.post(debt, SYSTEM.clawback, account, amount - taken, "debt.incur")
  }
}

/** A spend at checkout (RULES.md §2.5, §4.7). */
export interface SpendInput {
  memberId: string
  /** The checkout's id (a cart and its attempt): the batch key is derived from it. */
  checkoutId: string
  total: Dec
  currencyCode: string
  credit: Dec
  points: Dec
  day: string
}

/** A return of (part of) a spend (RULES.md §1.2 decision), or its release when the checkout failed. */
export interface ReturnSpendInput {
  memberId: string
  checkoutId: string
  /** What caused it (a cancellation, a refund id): the batch key is derived from it. */
  causeId: string
  spent: CheckoutAmounts
  returned: CheckoutAmounts
  /** Share of the order undone so far (0–1); 1 for a release. */
  share: Dec
  /** True: the checkout never completed (its order was not placed). */
  release?: boolean
  day: string
}

/** The compensation of a return. */
export interface UndoReturnInput {
  memberId: string
  checkoutId: string
  causeId: string
  amounts: CheckoutAmounts
  day: string
}

/** What a return or release gives back now (a release gives back everything not yet returned). */
export function returnSpendDue(input: ReturnSpendInput): CheckoutAmounts {
  return checkoutReturnDue(input.spent, input.returned, input.release ? new Dec(1) : input.share)
}
