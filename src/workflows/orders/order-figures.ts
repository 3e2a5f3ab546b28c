import { MathBN } from "@medusajs/framework/utils"
import type { OrderFigures } from "../../modules/rewards/types"

/** The order's own columns and totals that RULES.md §1.2 reads (the Order Module computes the totals). */
export const ORDER_TOTAL_FIELDS = ["id", "status", "customer_id", "currency_code", "total", "item_total", "item_tax_total"] as const

/** Fields of an order that RULES.md §1.2 and §1.5 read, through Query (payments included). */
export const ORDER_FIGURE_FIELDS = [
  ...ORDER_TOTAL_FIELDS,
  "credit_lines.amount",
  "credit_lines.reference",
  "credit_lines.metadata",
  "items.quantity",
  "items.total",
  "items.tax_total",
  "items.detail.return_received_quantity",
  "payment_collections.payments.amount",
  "payment_collections.payments.refunds.id",
  "payment_collections.payments.refunds.amount",
  "payment_collections.payments.refunds.created_at",
]

/** Credit-line references under which the plugin pays with stable credit and released points. */
export const CREDIT_LINE_REFERENCE = { credit: "medusa-rewards:credit", points: "medusa-rewards:points" } as const

type Row = Record<string, any>

/** A Medusa amount (BigNumber, raw value or number) as an exact decimal string. */
function amount(value: unknown): string {
  if (value === null || value === undefined) return "0"
  return MathBN.convert(value as any).toFixed()
}

const sum = (values: unknown[]) => values.reduce<string>((acc, v) => MathBN.add(acc, amount(v)).toFixed(), "0")

/**
 * What RULES.md §1.2 reads of an order, or of the cart it is made from: its buyer and its
 * figures (items after discounts net of tax, the total before credit and points payments).
 */
export interface CheckoutFigures extends OrderFigures {
  customerId: string | null
}

export interface OrderFiguresInput extends CheckoutFigures {
  orderId: string
  /** Share of the order undone so far by refunds, returns or cancellation (RULES.md §1.5), 0–1. */
  refundedShare: string
  /** The newest refund's id, which names a refund event (null when there is none). */
  latestRefundId: string | null
  canceled: boolean
}

/**
 * The figures of RULES.md §1.2 of an order or of a cart: both carry the same totals (Medusa
 * computes them with the same function, and an order's items, adjustments, tax and credit lines
 * are copies of its cart's). The total before credit and points is Medusa's total with every
 * credit line added back: a partial refund adds a credit line of its own to the order (its
 * reference is the refund reason), which is neither credit paid nor a change of what the order
 * cost when it was placed.
 */
export function checkoutFigures(orderOrCart: Row): CheckoutFigures {
  const lines = (orderOrCart.credit_lines ?? []) as Row[]
  const creditUsed = sum(lines.filter((l) => l.reference === CREDIT_LINE_REFERENCE.credit).map((l) => l.amount))
  const pointLines = lines.filter((l) => l.reference === CREDIT_LINE_REFERENCE.points)
  // a points line pays money (its amount); RULES.md §1.2 counts the points (`metadata.points`,
  // written by the storefront's checkout, issue 6) at pointValue
  const pointsUsed = sum(pointLines.map((l) => l.metadata?.points ?? l.amount))
  return {
    customerId: orderOrCart.customer_id ?? orderOrCart.customer?.id ?? null,
    currencyCode: orderOrCart.currency_code,
    items: MathBN.sub(amount(orderOrCart.item_total), amount(orderOrCart.item_tax_total)).toFixed(),
    total: MathBN.add(amount(orderOrCart.total), sum(lines.map((l) => l.amount))).toFixed(),
    creditUsed,
    pointsUsed,
  }
}

/**
 * Reads an order (as Query returns it with {@link ORDER_FIGURE_FIELDS}, or the Order Module
 * with its items and credit lines) into the figures of RULES.md §1.2 and the share of it undone
 * so far (§1.5): the larger of the refunded share of what was paid (0 when the payments were
 * not read) and the returned share of the items, 1 for a canceled order.
 */
export function orderFigures(order: Row): OrderFiguresInput {
  const figures = checkoutFigures(order)
  const items = figures.items
  const payments = ((order.payment_collections ?? []) as Row[]).flatMap((pc) => (pc.payments ?? []) as Row[])
  const refunds = payments.flatMap((p) => (p.refunds ?? []) as Row[])
  const paid = sum(payments.map((p) => p.amount))
  const refunded = sum(refunds.map((r) => r.amount))
  let share = MathBN.gt(paid, 0) ? MathBN.div(refunded, paid) : MathBN.convert(0)
  // returns received: the returned items' share of the items
  let returned = MathBN.convert(0)
  for (const item of (order.items ?? []) as Row[]) {
    const qty = MathBN.convert(amount(item.quantity))
    const back = MathBN.convert(amount(item.detail?.return_received_quantity))
    if (MathBN.gt(qty, 0) && MathBN.gt(back, 0)) {
      const net = MathBN.sub(amount(item.total), amount(item.tax_total))
      returned = MathBN.add(returned, MathBN.div(MathBN.mult(net, back), qty))
    }
  }
  if (MathBN.gt(items, 0)) {
    const returnedShare = MathBN.div(returned, items)
    if (MathBN.gt(returnedShare, share)) share = returnedShare
  }
  const canceled = order.status === "canceled"
  if (canceled || MathBN.gt(share, 1)) share = MathBN.convert(1)
  const latest = [...refunds].sort((a, b) =>
    String(a.created_at) === String(b.created_at) ? (a.id < b.id ? -1 : 1) : new Date(a.created_at) < new Date(b.created_at) ? -1 : 1
  ).at(-1)
  return {
    orderId: order.id,
    ...figures,
    refundedShare: share.toFixed(),
    latestRefundId: latest?.id ?? null,
    canceled,
  }
}
