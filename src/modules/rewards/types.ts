/** Options of the rewards module (the plugin's options reach it unchanged). */
export interface RewardsModuleOptions {
  /**
   * The initial program (RULES.md §1.9), used once when the program starts: configuration
   * version 1. Later changes are new versions saved in the admin. Omitted: every scheme off.
   */
  program?: unknown
  /** Members per day-close batch, the unit of commit (default 5 000). */
  dayBatchSize?: number
  /**
   * Local time (program time zone, `HH:MM`) after which the previous business day is closed
   * (default `00:05`). The scheduled job ticks every five minutes and closes what is due.
   */
  closeAt?: string
  /**
   * The storefront's base URL (issue 6): a member's share link is this URL with
   * `?ref=<referral code>`. Omitted: members get their code but no link.
   */
  storefrontUrl?: string
}

export interface JoinEventInput {
  customerId: string
  /** The referrer's referral code given at sign-up (customer metadata `referral_code`). */
  referralCode?: string | null
  /** Or the referrer's customer id directly (imports, admin). */
  referrerId?: string | null
}

/** The figures of an order that RULES.md §1.2 reads, in its own currency (decimal strings). */
export interface OrderFigures {
  currencyCode: string
  items: string
  total: string
  creditUsed: string
  pointsUsed: string
}

export interface OrderEventInput {
  orderId: string
  /** The buyer; an order without one is recorded as skipped. */
  customerId: string | null
  figures: OrderFigures
}

/** A cart's §1.2 figures, kept when it completes for the award of its order (`rewards_cart_figures`). */
export interface CartFiguresInput {
  cartId: string
  customerId: string | null
  figures: OrderFigures
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

export interface DayRunView {
  day: string
  /** closed; running (in progress, or interrupted and resumed by the next run); failed (see error). */
  status: "closed" | "running" | "failed"
  step: string
  config_version: number
  /** Day-close batches committed so far (each a unit of commit and idempotency). */
  batches_committed: number
  started_at: Date | null
  finished_at: Date | null
  duration_ms: number | null
  error: string | null
  report: {
    sales: string
    cycle: { pro_rata_pool: string; tier_pools: string[]; paid: string; returned: string }
    release: { base: string; share: string; team: string; peer: string; forfeited: string }
    growth: { exits: number; exit_proceeds: string }
  } | null
}

export interface DayRunsView {
  count: number
  limit: number
  offset: number
  open_day: string | null
  last_closed_day: string | null
  /** Finished business days not closed yet, oldest first. */
  pending_days: string[]
  day_runs: DayRunView[]
}

/** One member or order of an import (RULES.md §1.1, §1.2): amounts are eligible amounts. */
export type ImportItem =
  | { join: { customerId: string; referrerId?: string | null } }
  | { order: { orderId: string; customerId: string; amount: string } }
