/**
 * RULES.md §1.2: the eligible amount of an order, from the order's own figures.
 */
import type { ProgramConfig } from "./config"
import { Dec, ZERO } from "./decimal"

/** What §1.2 needs of an order, in the order's currency. */
export interface OrderFigures {
  currencyCode: string
  /** Line items after item- and order-level discounts, net of tax; no shipping. */
  items: Dec
  /** The order's total (items, shipping, tax) before anything was paid with credit or points. */
  total: Dec
  /** Paid with stable credit (§2.5). */
  creditUsed: Dec
  /** Released points used (§4.7), in points. */
  pointsUsed: Dec
}

export type Eligibility = { eligible: true; amount: Dec } | { eligible: false; reason: string }

/** Minor-unit decimals by currency code, as ICU knows them (building a formatter is costly). */
const minorUnits = new Map<string, number>()

/** Decimals of a currency's minor unit (CNY 2, JPY 0); never more than the program keeps. */
export function minorUnitDecimals(currencyCode: string, scale: number): number {
  let digits = minorUnits.get(currencyCode)
  if (digits === undefined) {
    digits = 2
    try {
      digits =
        new Intl.NumberFormat("en", { style: "currency", currency: currencyCode }).resolvedOptions().maximumFractionDigits ?? 2
    } catch {
      // an unknown code keeps the common 2
    }
    minorUnits.set(currencyCode, digits)
  }
  return Math.min(digits, scale)
}

/**
 * eligible = items × (1 − (credit used + points used × pointValue) ÷ order total), rounded down
 * to the program currency's minor unit (0 when the total is 0); with `rewardCreditPayments`
 * the credit-paid part is eligible too. An order in another currency counts at the rate
 * `exchangeRates` lists for it (program currency per unit), or is skipped with its reason.
 */
export function eligibleAmount(order: OrderFigures, cfg: ProgramConfig): Eligibility {
  const code = order.currencyCode.toUpperCase()
  let rate = new Dec(1)
  if (code !== cfg.currency) {
    const listed = cfg.exchangeRates[code]
    if (!listed) {
      return {
        eligible: false,
        reason: `currency: ${code} is not the program currency ${cfg.currency} and exchangeRates lists no rate for it`,
      }
    }
    rate = listed
  }
  if (order.items.lte(0) || order.total.lte(0)) return { eligible: true, amount: ZERO }
  let items = order.items
  if (!cfg.rewardCreditPayments) {
    const paidWithCredit = order.creditUsed.plus(order.pointsUsed.times(cfg.schemes.release.pointValue))
    const share = Dec.min(1, Dec.max(0, paidWithCredit.div(order.total)))
    items = items.times(new Dec(1).minus(share))
  }
  const decimals = minorUnitDecimals(cfg.currency, cfg.scale)
  return { eligible: true, amount: items.times(rate).toDecimalPlaces(decimals, Dec.ROUND_DOWN) }
}
