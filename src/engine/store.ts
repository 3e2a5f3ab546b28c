import type { Dec } from "./decimal"
import type { Asset, MemberAsset, TransferBatch } from "./ledger"

/**
 * The storage interface the engine talks to. Everything that decides an amount lives in
 * the engine; a store only keeps state. The in-memory store (simulator, forecast, tests)
 * and the PostgreSQL store implement the same interface, so a rule exists exactly once.
 *
 * Reads return copies: the engine mutates them freely and hands back what changed in one
 * {@link Commit}, which a store applies atomically (PostgreSQL: one transaction).
 * Idempotency is the store's duty: a commit whose batch key already exists is rejected
 * with {@link DuplicateBatchError} and changes nothing.
 */
export interface RewardsStore {
  /** Runs `fn` as one unit of work; PostgreSQL wraps it in a transaction and row locks. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>

  // The day close's bulk reads run outside the write transactions: the close commits batch by
  // batch while it streams (PostgreSQL: a cursor in its own snapshot). A batch only changes
  // its own members, so a later batch reads what it would have read at the start.
  /**
   * Every member's balances of `assets` (values in that order), in join order, in batches.
   * A day close reads only the columns a step needs.
   */
  streamBalances(assets: readonly MemberAsset[], batchSize: number): AsyncIterable<BalanceRow[]>
  /**
   * What the release pass needs of every member, in batches whose boundaries depend only on
   * the referral forest: children before parents (deepest first), ties by join order.
   */
  streamReleaseRows(batchSize: number): AsyncIterable<ReleaseRow[]>
  /**
   * Decimals that make every member's net spend and team performance a whole number: the
   * release pass sums them as integers of 10^-amountScale (exact, and no decimal objects in
   * the hot loop).
   */
  getAmountScale(): Promise<number>
}

export interface StoreTx {
  getProgram(): Promise<ProgramState>
  getMember(id: string): Promise<MemberRecord | null>
  getOrder(id: string): Promise<OrderRecord | null>
  /**
   * Whether `ancestorId` is on the referral path above `memberId` (RULES.md §1.1: the forest
   * stays cycle-free). One question, so a store can answer it without a round trip per level.
   */
  isAncestor(ancestorId: string, memberId: string): Promise<boolean>
  /** A member's tranches, oldest first (RULES.md §4.6). */
  getTranches(memberId: string): Promise<TrancheRecord[]>
  getMemberBalances(memberId: string): Promise<MemberBalances>
  getSystemBalance(account: string, asset: Asset): Promise<bigint>
  hasBatch(key: string): Promise<boolean>
  /** Pending orders that mature in the close of `day`, in placement order (RULES.md §1.4). */
  getOrdersMaturingOn(day: string): Promise<OrderRecord[]>
  getDaySales(day: string): Promise<Dec>
  getDayRun(day: string): Promise<DayRun | null>
  /** Every closed day's report, in date order. */
  getDayReports(): Promise<DayReport[]>
  /** Applies a commit atomically. */
  commit(change: Commit): Promise<void>
}

export class DuplicateBatchError extends Error {
  constructor(readonly key: string) {
    super(`batch ${key} was already committed`)
    this.name = "DuplicateBatchError"
  }
}

/** Program-wide state that is not a balance. */
export interface ProgramState {
  /** First business day of the program (the day of its first event); null before any. */
  firstDay: string | null
  /** Last closed business day; null before the first close. */
  lastClosedDay: string | null
  /** Growth price, 12 decimals (RULES.md §2.1); kept when the supply returns to 0. */
  growthPrice: Dec
  /** Counters that give members and orders their stable order. */
  memberSeq: number
  orderSeq: number
  /** Counter of operations, for keys of operations that have no natural id (simulator). */
  opSeq: number
}

export type MemberBalances = Record<MemberAsset, bigint>

export interface MemberRecord {
  id: string
  /** Join order (RULES.md §2.4 sells forced exits in this order). */
  seq: number
  referrerId: string | null
  /** Generations to the root of the referral forest (root = 0). */
  depth: number
  joinedDay: string
  /** Cumulative net eligible amount of matured orders (RULES.md §3.1, §4.4); exact. */
  netSpend: Dec
  /** Weight components (RULES.md §3.1); the WEIGHT balance is max(0, their sum). */
  purchaseWeight: bigint
  referralWeight: bigint
  adminWeight: bigint
  /** Membership level index (RULES.md §4.1), null for none. */
  level: number | null
  /** Team performance and star level as computed by the last day close (RULES.md §4.4). */
  teamPerformance: Dec
  starLevel: number
  /** Whether the member ever had an order recorded (a referrer may change only before). */
  hasOrders: boolean
}

export type OrderStatus = "pending" | "matured" | "void"

/**
 * What an order can grant, in a fixed order; refunds reverse shares of each (RULES.md §1.5).
 * Referral grants go to the order's referrer, every other grant to the buyer.
 */
export const GRANT_KINDS = [
  "growth.buyer",
  "growth.referrer",
  "exitCap",
  "cycle.quota",
  "cycle.referralQuota",
  "release.tranche",
] as const
export type GrantKind = (typeof GRANT_KINDS)[number]
export const GRANT = Object.fromEntries(GRANT_KINDS.map((k, i) => [k, i])) as Record<GrantKind, number>

/** Amounts per grant kind, indexed as GRANT_KINDS (0 where nothing was granted). */
export type GrantVector = bigint[]

export function emptyGrants(): GrantVector {
  return GRANT_KINDS.map(() => 0n)
}

export interface OrderRecord {
  id: string
  memberId: string
  seq: number
  placedDay: string
  /** Eligible amount as placed (RULES.md §1.2), exact. */
  amount: Dec
  /** Refunds registered before maturity (reduce what matures, RULES.md §1.4). */
  refundedBefore: Dec
  /** Day of the close in which the order matures; equal to placedDay with pendingDays 0. */
  maturesOn: string
  status: OrderStatus
  /** E: the amount that matured. */
  matured: Dec
  /** Refunds registered after maturity (F × E). */
  refundedAfter: Dec
  /** Ids of the refunds registered, so a repeated refund event reverses nothing twice. */
  refundIds: string[]
  /** The buyer's referrer when the order matured: the receiver of its referral grants. */
  referrerId: string | null
  /** G per grant kind; null when the order granted nothing (yet). */
  granted: GrantVector | null
  /** floor(G × (1 − F)) per kind after refunds; null while nothing was refunded (worth = G). */
  worth: GrantVector | null
  configVersion: number
}

export interface TrancheRecord {
  /** The order that created it (each order is its own tranche, RULES.md §4.1). */
  orderId: string
  memberId: string
  /** Creation order: oldest first. */
  seq: number
  multiple: Dec
  /** Locked points still in the tranche. */
  remaining: bigint
  /** The order's net amount, on which it releases (RULES.md §1.5). */
  netAmount: Dec
  /** floor(dailyReleaseRate × netAmount), atoms. */
  dailyBase: bigint
  /**
   * The business day whose close last released from this tranche and what it held
   * before that release: a resumed close starts from the same state (RULES.md §6).
   */
  releasedOn: string | null
  remainingBeforeRelease: bigint
}

/** A member's balances of some assets, read in bulk. */
export interface BalanceRow {
  /** The store's handle of the member, valid for the close that read it. */
  ref: number
  memberId: string
  /** The member's account name (`memberAccount(id)`); a store may hand out one shared string. */
  account: string
  values: bigint[]
}

/** A tranche as the daily release reads it. */
export interface ReleaseTranche {
  /** The store's handle of the tranche, valid for the close that read it. */
  ref: number
  orderId: string
  remaining: bigint
  dailyBase: bigint
  releasedOn: string | null
  remainingBeforeRelease: bigint
}

/** What the release pass (RULES.md §4.2–4.6) needs of a member. */
export interface ReleaseRow {
  /** The store's handle of the member and of its referrer (null for a root). */
  ref: number
  referrerRef: number | null
  memberId: string
  account: string
  /** Own net spend and team performance, integers of 10^-amountScale (getAmountScale). */
  netSpend: bigint
  teamPerformance: bigint
  starLevel: number
  debtPoints: bigint
  /** Oldest first. */
  tranches: ReleaseTranche[]
}

export type DayStep = "mature" | "exit" | "cycle" | "release" | "report" | "done"

/** Progress of one business day's close (RULES.md §6): a crashed run resumes from here. */
export interface DayRun {
  day: string
  step: DayStep
  configVersion: number
  /** Members due for a forced exit, fixed at the step's start price (RULES.md §2.4). */
  exitDue: string[] | null
  /** Aggregates fixed before a step's first batch, so a resumed step pays the same. */
  cycle: CycleAggregates | null
  report: DayReport | null
}

export interface CycleAggregates {
  sales: Dec
  proRataPool: bigint
  tierPools: bigint[]
  totalWeight: bigint
  tierCounts: number[]
}

/** The day report (RULES.md §6 step 5; SCENARIO.md `days[]`). Amounts in atoms except sales. */
export interface DayReport {
  day: string
  sales: Dec
  cycle: { proRataPool: bigint; tierPools: bigint[]; paid: bigint; returned: bigint }
  release: { base: bigint; share: bigint; team: bigint; peer: bigint; forfeited: bigint }
  growth: { exits: number; exitProceeds: bigint }
}

/** Everything one operation writes. Absent parts are unchanged. */
export interface Commit {
  batch?: TransferBatch
  /**
   * More batches committed with it, in order: a day close's forced exits commit many members
   * in one transaction, one batch each, so the ledger shows the price after every exit.
   */
  batches?: TransferBatch[]
  program?: ProgramState
  members?: MemberRecord[]
  orders?: OrderRecord[]
  tranches?: TrancheRecord[]
  /** A day close's tranche releases (RULES.md §4.2, §4.6). */
  trancheReleases?: { ref: number; remaining: bigint; releasedOn: string; remainingBeforeRelease: bigint }[]
  /** A day close's team performance and star levels (RULES.md §4.4). */
  teamStats?: { amountScale: number; members: { ref: number; teamPerformance: bigint; starLevel: number }[] }
  /** Added to the day's sales S (RULES.md §3.2). */
  daySales?: { day: string; delta: Dec }[]
  dayRun?: DayRun
  /**
   * RULES.md §1.1, an admin's change of referrer (issue 5): the member's referrer becomes
   * `referrerId`, and the depth of the member and of every member of its downline shifts by
   * `depthDelta` — set-based in the store, no record per descendant.
   */
  reparent?: { memberId: string; referrerId: string | null; depthDelta: number }
}
