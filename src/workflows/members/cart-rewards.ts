import type { MedusaContainer } from "@medusajs/framework/types"
import { MathBN } from "@medusajs/framework/utils"
import { REWARDS_MODULE } from "../../modules/rewards"
import type RewardsModuleService from "../../modules/rewards/service"
import { CREDIT_LINE_REFERENCE } from "../orders/order-figures"

/**
 * Paying a cart with stable credit and released points (RULES.md §2.5, §4.7) is two cart
 * credit lines — Medusa's mechanism for tender other than the payment provider, copied onto the
 * order — under the references {@link CREDIT_LINE_REFERENCE}. Their metadata says what the
 * member pays with (credit, points) and for which cart; the amount is the money it pays.
 */

type Row = Record<string, any>

/** Cart fields the rewards steps read. */
export const CART_REWARDS_FIELDS = [
  "id",
  "customer_id",
  "currency_code",
  "completed_at",
  "total",
  "credit_lines.id",
  "credit_lines.amount",
  "credit_lines.reference",
  "credit_lines.reference_id",
  "credit_lines.metadata",
]

export const REWARDS_REFERENCES: readonly string[] = [CREDIT_LINE_REFERENCE.credit, CREDIT_LINE_REFERENCE.points]

/** What a cart's (or an order's) rewards credit lines pay with, as decimal strings. */
export interface RewardsLines {
  lineIds: string[]
  /** Credit used (= its money value, 1 credit = 1 unit). */
  credit: string
  /** Points used, and the money they pay. */
  points: string
  pointsValue: string
  /** The member the lines were applied for (their reference id). */
  customerIds: string[]
  /** The carts the lines were applied to (order lines carry their cart's id). */
  cartIds: string[]
}

const amount = (v: unknown) => MathBN.convert((v ?? 0) as any)

export function rewardsLinesOf(cartOrOrder: Row): RewardsLines {
  const lines = ((cartOrOrder.credit_lines ?? []) as Row[]).filter((l) => l && REWARDS_REFERENCES.includes(l.reference))
  let credit = MathBN.convert(0)
  let points = MathBN.convert(0)
  let pointsValue = MathBN.convert(0)
  const customers = new Set<string>()
  const carts = new Set<string>()
  for (const l of lines) {
    const meta = (l.metadata ?? {}) as Row
    if (l.reference === CREDIT_LINE_REFERENCE.credit) {
      credit = MathBN.add(credit, amount(l.amount))
    } else {
      pointsValue = MathBN.add(pointsValue, amount(l.amount))
      points = MathBN.add(points, amount(meta.points))
    }
    if (l.reference_id) customers.add(String(l.reference_id))
    if (meta.cart_id) carts.add(String(meta.cart_id))
  }
  return {
    lineIds: lines.map((l) => l.id).filter(Boolean),
    credit: credit.toFixed(),
    points: points.toFixed(),
    pointsValue: pointsValue.toFixed(),
    customerIds: [...customers],
    cartIds: [...carts],
  }
}

/** The cart total before its rewards lines: what creditMaxShare and pointsMaxShare are shares of. */
export function totalBeforeRewards(cart: Row, lines: RewardsLines): string {
  return MathBN.add(amount(cart.total), MathBN.add(lines.credit, lines.pointsValue)).toFixed()
}

/** The credit lines paying `cartId` with credit and points (amounts are money, decimal strings). */
export function rewardsCreditLines(input: {
  cartId: string
  customerId: string
  credit: string
  points: string
  pointsValue: string
  pointValue: string
}) {
  const lines: { cart_id: string; amount: number; reference: string; reference_id: string; metadata: Record<string, unknown> }[] = []
  // amounts as decimal strings: Medusa's BigNumber keeps them exact (the DTO types say number)
  if (MathBN.gt(input.credit, 0)) {
    lines.push({
      cart_id: input.cartId,
      amount: input.credit as unknown as number,
      reference: CREDIT_LINE_REFERENCE.credit,
      reference_id: input.customerId,
      metadata: { cart_id: input.cartId, credit: input.credit },
    })
  }
  if (MathBN.gt(input.points, 0)) {
    lines.push({
      cart_id: input.cartId,
      amount: input.pointsValue as unknown as number,
      reference: CREDIT_LINE_REFERENCE.points,
      reference_id: input.customerId,
      metadata: { cart_id: input.cartId, points: input.points, point_value: input.pointValue },
    })
  }
  return lines
}

/** What a return gave back, per cart (decimal strings of atoms), as compensation data. */
export interface ReturnedCheckout {
  cart_id: string
  cause_id: string
  credit: string
  points: string
  previous_share: string
}

/** Takes returns back (the compensation of a return): a shortfall becomes debt (RULES.md §1.7). */
export async function undoCheckoutReturns(container: Pick<MedusaContainer, "resolve">, returned: ReturnedCheckout[] | undefined) {
  if (!returned?.length) return
  const storefront = container.resolve<RewardsModuleService>(REWARDS_MODULE).storefront()
  for (const r of returned) {
    await storefront.undoReturn({
      cartId: r.cart_id,
      causeId: r.cause_id,
      amounts: { credit: BigInt(r.credit), points: BigInt(r.points) },
      previousShare: r.previous_share,
    })
  }
}
