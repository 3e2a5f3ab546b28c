/**
 * Ledger vocabulary (RULES.md §1.8), after TigerBeetle's accounts/transfers model:
 * an account is (owner, asset); a transfer moves a positive amount of one asset from
 * a debit account to a credit account, so every asset sums to zero over all accounts.
 * Transfers are append-only; a correction is a new transfer.
 */

export const ASSETS = [
  "GROWTH",
  "CREDIT",
  "EXIT_CAP",
  "QUOTA",
  "WEIGHT",
  "POINTS_LOCKED",
  "POINTS",
  "MONEY",
  "DEBT_GROWTH",
  "DEBT_CREDIT",
  "DEBT_POINTS",
] as const
export type Asset = (typeof ASSETS)[number]

/** Assets a member holds: all but pool money. */
export type MemberAsset = Exclude<Asset, "MONEY">

/** Member-held assets, in a fixed order (index = position in a member's balance vector). */
export const MEMBER_ASSETS: readonly MemberAsset[] = ASSETS.filter((a): a is MemberAsset => a !== "MONEY")

/**
 * System accounts: the counterparties of member balances (RULES.md §1.8 invariant 2).
 * Their balances may be negative (an issuer's balance is minus what it issued).
 */
export const SYSTEM = {
  /** Merchant revenue: the source of every pool inflow. */
  sales: "sys:sales",
  /** The growth reserve pool (MONEY), RULES.md §2. */
  growthPool: "sys:growth-pool",
  /** Issuer of growth points; settled and reversed points return here (RULES.md §2.2). */
  issuance: "sys:issuance",
  /** Growth points burned by sell-backs and forced exits (RULES.md §2.3). */
  burned: "sys:burned",
  /** Growth points converted to stable credit: not burned, still in the supply (RULES.md §2.5). */
  treasury: "sys:treasury",
  /** The merchant: issues credit, quota, exit cap, weight and locked points; receives returned money. */
  platform: "sys:platform",
  /** A business day's cycle pools (MONEY), RULES.md §3.2. */
  cyclePool: "sys:cycle-pool",
  /** Receives released locked points and issues released points (RULES.md §4.2). */
  release: "sys:release",
  /** Accelerations owed beyond the recipient's locked points (RULES.md §4.6). */
  forfeiture: "sys:forfeiture",
  /** Counterparty of clawback debt (RULES.md §1.7). */
  clawback: "sys:clawback",
  /** Counterparty of admin adjustments (RULES.md §5). */
  adjustments: "sys:adjustments",
} as const

export function memberAccount(memberId: string): string {
  return `m:${memberId}`
}

export function isMemberAccount(account: string): boolean {
  return account.startsWith("m:")
}

export function memberOf(account: string): string {
  return account.slice(2)
}

/** Why a transfer happened. The audit and the dashboard group by these. */
export type Reason =
  | "growth.contribution"
  | "growth.issue.buyer"
  | "growth.issue.referrer"
  | "growth.sell"
  | "growth.sell.proceeds"
  | "growth.convert"
  | "growth.convert.credit"
  | "growth.exit"
  | "growth.exit.proceeds"
  | "growth.exit.cap"
  | "exitcap.grant"
  | "cycle.quota"
  | "cycle.quota.referral"
  | "cycle.weight"
  | "cycle.pool"
  | "cycle.payout"
  | "cycle.payout.quota"
  | "cycle.payout.funding"
  | "cycle.returned"
  | "release.tranche"
  | "release.base"
  | "release.base.points"
  | "release.acceleration"
  | "release.acceleration.points"
  | "release.forfeit"
  | "refund.reverse"
  | "debt.incur"
  | "debt.settle"
  | "admin.adjust"
  // paying with credit and points at checkout, and giving them back (RULES.md §2.5, §4.7, §1.2)
  | "checkout.credit"
  | "checkout.points"
  | "checkout.return.credit"
  | "checkout.return.points"
  | "checkout.release.credit"
  | "checkout.release.points"
  | "checkout.return.undo"

/** One movement of one asset. `amount` is in atoms of 10^-scale (always > 0; weight in whole units). */
export interface Transfer {
  asset: Asset
  debit: string
  credit: string
  amount: bigint
  reason: Reason
  /**
   * The store's ref of the member on the debit or credit side, when the engine has it from a
   * bulk read (a day close): the store can skip looking the account name up.
   */
  debitRef?: number
  creditRef?: number
}

/**
 * An operation's transfers: committed together or not at all, under one idempotency key.
 * Order events write a handful of transfers, a day close millions: the key is per
 * operation or per batch, never per row (notes/architecture.md, "two grains").
 * A transfer's own identity is (key, position in the batch).
 */
export interface TransferBatch {
  /** Idempotency key derived from the cause, e.g. `order:o1:award`, `day:2026-01-02:release:3`. */
  key: string
  /** Business day the batch belongs to. */
  day: string
  /** What caused it: an order id, a day run, an admin user, a member request. */
  source: string
  /** Configuration version in force (RULES.md §7). */
  configVersion: number
  transfers: Transfer[]
}

/** The member side of a {@link PostingSlot}: the transfer's debit or credit is the member's account. */
export const MEMBER = "member" as const

/**
 * One kind of transfer a day close's member pass can make for a member (RULES.md §3.2, §4.2–4.6):
 * `amount` atoms of `asset` from `debit` to `credit`, where {@link MEMBER} stands for the member's
 * own account. The pass posts, per member and day, one amount per slot (0 = no transfer), and a
 * posting expands into exactly these transfers, in slot order (`expandPosting`). The engine decides
 * every amount; a store keeps the amounts compactly and the slots say what they mean, so no store
 * and no SQL view needs a rule to read them back as transfers.
 */
export interface PostingSlot {
  asset: Asset
  debit: string
  credit: string
  reason: Reason
}

/**
 * The slots of a member's day (the order is part of the ledger: slot k of a posting is its k-th
 * transfer). Cycle payout first (§3.2: quota used, credit debt settled, credit paid), then the
 * release (§4.2–4.6: locked points out as base and acceleration, points debt settled, released
 * points in, the forfeited excess).
 */
export const DAY_SLOTS: readonly PostingSlot[] = [
  { asset: "QUOTA", debit: MEMBER, credit: SYSTEM.platform, reason: "cycle.payout.quota" },
  { asset: "DEBT_CREDIT", debit: MEMBER, credit: SYSTEM.clawback, reason: "debt.settle" },
  { asset: "CREDIT", debit: SYSTEM.platform, credit: MEMBER, reason: "cycle.payout" },
  { asset: "POINTS_LOCKED", debit: MEMBER, credit: SYSTEM.release, reason: "release.base" },
  { asset: "POINTS_LOCKED", debit: MEMBER, credit: SYSTEM.release, reason: "release.acceleration" },
  { asset: "DEBT_POINTS", debit: MEMBER, credit: SYSTEM.clawback, reason: "debt.settle" },
  { asset: "POINTS", debit: SYSTEM.release, credit: MEMBER, reason: "release.base.points" },
  { asset: "POINTS", debit: SYSTEM.release, credit: MEMBER, reason: "release.acceleration.points" },
  { asset: "POINTS", debit: SYSTEM.release, credit: SYSTEM.forfeiture, reason: "release.forfeit" },
]

/** Indexes into {@link DAY_SLOTS}. */
export const SLOT = {
  cycleQuota: 0,
  cycleDebtSettle: 1,
  cycleCredit: 2,
  releaseBase: 3,
  releaseAcceleration: 4,
  releaseDebtSettle: 5,
  releaseBasePoints: 6,
  releaseAccelerationPoints: 7,
  releaseForfeit: 8,
} as const

/** A member's day posting as its transfers (slots with amount 0 make none), in slot order. */
export function expandPosting(account: string, amounts: readonly bigint[], from = 0): Transfer[] {
  const out: Transfer[] = []
  for (let k = 0; k < DAY_SLOTS.length; k++) {
    const amount = amounts[from + k]
    if (amount === 0n) continue
    const s = DAY_SLOTS[k]
    out.push({
      asset: s.asset,
      debit: s.debit === MEMBER ? account : s.debit,
      credit: s.credit === MEMBER ? account : s.credit,
      amount,
      reason: s.reason,
    })
  }
  return out
}

/** Idempotency keys, derived from the cause so a repeated cause finds its earlier batch. */
export const keys = {
  join: (memberId: string) => `member:${memberId}:join`,
  orderAward: (orderId: string) => `order:${orderId}:award`,
  refund: (orderId: string, refundId: string) => `order:${orderId}:refund:${refundId}`,
  sell: (requestId: string) => `sell:${requestId}`,
  convert: (requestId: string) => `convert:${requestId}`,
  adjust: (requestId: string) => `adjust:${requestId}`,
  exit: (day: string, memberId: string) => `day:${day}:exit:${memberId}`,
  dayStep: (day: string, step: string, batch: number) => `day:${day}:${step}:${batch}`,
  /** A checkout (a cart and its attempt) paying with credit and points (RULES.md §2.5, §4.7). */
  checkoutSpend: (checkoutId: string) => `checkout:${checkoutId}:spend`,
  /** The spend given back because the checkout did not complete. */
  checkoutRelease: (checkoutId: string) => `checkout:${checkoutId}:release`,
  /** Part of the spend given back after a cancellation or refund (RULES.md §1.2). */
  checkoutReturn: (checkoutId: string, causeId: string) => `checkout:${checkoutId}:return:${causeId}`,
  checkoutReturnUndo: (checkoutId: string, causeId: string) => `checkout:${checkoutId}:return:${causeId}:undo`,
}
