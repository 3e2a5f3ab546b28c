/** Options of the rewards module (the plugin's options reach it unchanged). */
export interface RewardsModuleOptions {
  /**
   * The initial program (RULES.md §1.9), used once when the program starts: configuration
   * version 1. Later changes are new versions saved in the admin. Omitted: every scheme off.
   */
  program?: unknown
  /** Members per day-close batch, the unit of commit (default 5 000). */
  dayBatchSize?: number
}

export interface JoinEventInput {
  customerId: string
  /** The referrer's referral code given at sign-up (customer metadata `referral_code`). */
  referralCode?: string | null
  /** Or the referrer's customer id directly (imports, admin). */
  referrerId?: string | null
}

export interface OrderEventInput {
  orderId: string
  /** The buyer; an order without one is recorded as skipped. */
  customerId: string | null
  /** The order's figures that RULES.md §1.2 reads, in its own currency (decimal strings). */
  figures: {
    currencyCode: string
    items: string
    total: string
    creditUsed: string
    pointsUsed: string
  }
}

export interface RefundEventInput {
  orderId: string
  /** The cause's own id: a Medusa refund id, `return:<id>`, or `cancel`. */
  refundId: string
  /** Share of the order undone so far by all refunds, returns and cancellation (0–1), a decimal string. */
  refundedShare: string
}

export interface RecordedEvent {
  id: number
  key: string
  kind: "join" | "order" | "refund"
  day: string
  status: "queued" | "applied" | "rejected" | "skipped"
  reason: string | null
  /** True when the key was already recorded: nothing happened now. */
  duplicate: boolean
}

export interface RewardsSummary {
  members: number
  orders: number
  openDay: string | null
  lastClosedDay: string | null
  growth: { pool: string; supply: string; price: string }
  cycle: { pool: string; paid: string }
  release: { locked: string; released: string }
  credit: string
}

export interface MemberPointsInput {
  customerId: string
  /** Growth points, a decimal string. */
  points: string
  /** The request's own id (idempotency); generated when omitted. */
  requestId?: string
}

export interface AdjustBalanceInput {
  customerId: string
  asset: "CREDIT" | "POINTS" | "QUOTA" | "WEIGHT" | "GROWTH"
  /** Signed decimal string. */
  amount: string
  reason: string
  adminId?: string
  requestId?: string
}

/** A ledger transfer as the API shows it: decimals (weight in whole units). */
export interface TransferView {
  asset: string
  debit: string
  credit: string
  amount: string
  reason: string
}

export interface OperationResult<T> {
  /** Business day the operation counted on. */
  day: string
  result: T
  /** What it wrote (or, for a dry run, would write). */
  transfers: TransferView[]
}
