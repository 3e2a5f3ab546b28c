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

  /**
   * Runs a day close (`fn`) with every other writer held off: member and admin operations and
   * awards wait until it returns (PostgreSQL: an advisory lock every other writer shares before
   * it takes the program lock). The close's own transactions run meanwhile. RULES.md §6: a day
   * closes as one unit for everyone else, so nothing it reads changes under it.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>

  // The day close's bulk reads run outside the write transactions: the close commits batch by
  // batch while it streams. What the member pass stages stays invisible to every read, its own
  // included, until it is published (Commit.memberDays, Commit.publishMemberDays): a resumed pass
  // reads exactly what the interrupted one read.
  /**
   * Every member's balances of `assets` (values in that order), in join order, in batches.
   * A day close reads only the columns a step needs.
   */
  streamBalances(assets: readonly MemberAsset[], batchSize: number): AsyncIterable<BalanceBatch>
  /** The member ids of handles a bulk read gave, in that order. */
  memberIdsOf(refs: readonly number[]): Promise<string[]>
  /**
   * What the member pass (cycle payouts and the release, RULES.md §3.2, §4.2–4.6) needs of every
   * member, in batches whose boundaries depend only on the referral forest: children before
   * parents (deepest first), ties by join order.
   */
  streamMemberDays(batchSize: number): AsyncIterable<MemberDayRow[]>
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
  /**
   * A hint: this unit of work is about to read these members' balances (a day close's forced
   * exits); a store may read them all at once. Optional.
   */
  prefetchBalances?(memberIds: readonly string[]): Promise<void>
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
  /** Whether the member ever had an order recorded (a referrer may change only before). */
  hasOrders: boolean
}

/** A member with the team figures the last day close computed (RULES.md §4.4): stores' reports. */
export interface MemberView extends MemberRecord {
  teamPerformance: Dec
  starLevel: number
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
}

/**
 * Balances of a batch of members (RewardsStore.streamBalances), column-wise: member i is
 * refs[i], and its balance of the k-th asset asked for is values[i × assets + k].
 */
export interface BalanceBatch {
  /** The store's handles of the members, valid for the close that read them (memberIdsOf names them). */
  refs: Int32Array
  values: bigint[]
}

/** A tranche as the daily release reads it. */
export interface ReleaseTranche {
  /** Locked points as the day's pass starts. */
  remaining: bigint
  dailyBase: bigint
}

/** What the member pass (RULES.md §3.2, §4.2–4.6) needs of a member. */
export interface MemberDayRow {
  /** The store's handle of the member and of its referrer (null for a root). */
  ref: number
  referrerRef: number | null
  /** Balances the pass reads, as the pass starts. */
  quota: bigint
  weight: bigint
  debtCredit: bigint
  debtPoints: bigint
  /** Own net spend and team performance, integers of 10^-amountScale (getAmountScale). */
  netSpend: bigint
  teamPerformance: bigint
  starLevel: number
  /** Oldest first. */
  tranches: ReleaseTranche[]
}

/**
 * One batch of the member pass as the engine hands it to the store: a ledger batch whose
 * transfers are the members' postings (DAY_SLOTS), and what the day leaves of each member.
 * Staged: nothing of it is visible until Commit.publishMemberDays.
 */
export interface MemberDayBatch {
  /** The ledger batch (its key is taken when the batch is staged). */
  key: string
  day: string
  source: string
  configVersion: number
  /**
   * The members of the rows as streamMemberDays gave them (MemberDayRow.ref), in pass order. The
   * rows themselves are not handed back: a store keeps what it needs of a batch it streamed, so
   * the pass drops each batch's rows once it has computed them.
   */
  refs: Int32Array
  /** refs.length × DAY_SLOTS.length amounts: member i's posting is amounts[i·S … i·S+S−1]. */
  amounts: bigint[]
  /**
   * Per member, the slots that hold an amount: bit k of slots[i] is set exactly when
   * amounts[i·S+k] ≠ 0 (most members move a few of the slots; a store reads only those).
   */
  slots: Uint16Array
  /** Per tranche of the rows (in row order, then tranche order): locked points that left it today. */
  trancheOut: bigint[]
  /** Per row: team performance (integers of 10^-amountScale) and star level after the day. */
  teamPerformance: bigint[]
  starLevel: number[]
  amountScale: number
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
  /** A batch of the day close's member pass, staged (invisible to reads until published). */
  memberDays?: MemberDayBatch
  /**
   * Publishes every staged batch of `day`'s member pass at once: their postings join the ledger,
   * balances, tranches and team figures become what the pass left. `slotTotals` is the sum of
   * each slot over the whole pass (the system accounts' side of the postings).
   */
  publishMemberDays?: { day: string; slotTotals: bigint[] }
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
