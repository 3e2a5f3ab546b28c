/**
 * The storage interface in memory: the simulator, the forecast, the tests and the engine
 * benchmark run the engine on it. A million members must fit in a bounded amount of memory,
 * so members, balances, tranches and the transfer log are kept column-wise (typed arrays,
 * one slot per member or tranche) and records are materialised when the engine reads them.
 * Balances are a cache the audit recomputes from the transfers.
 */
import { BigColumn, INT64_MAX, growInt32, growInt8 } from "./columns"
import { Dec, ZERO, fromAtoms, toAtoms } from "./decimal"
import { emptyBalances } from "./op"
import { ASSETS, DAY_SLOTS, MEMBER, MEMBER_ASSETS, type Asset, type MemberAsset, type Reason, type TransferBatch, isMemberAccount, memberAccount, memberOf } from "./ledger"
import {
  type Commit,
  type BalanceBatch,
  type DayReport,
  type DayRun,
  DuplicateBatchError,
  type MemberBalances,
  type MemberRecord,
  type MemberView,
  type OrderRecord,
  type ProgramState,
  type MemberDayBatch,
  type MemberDayRow,
  type ReleaseTranche,
  type RewardsStore,
  type StoreTx,
  type TrancheRecord,
  GRANT_KINDS,
} from "./store"
import type { LedgerReader, LedgerRow } from "./audit"

const REASONS: Reason[] = []
const reasonIndex = new Map<Reason, number>()
function reasonId(r: Reason): number {
  let i = reasonIndex.get(r)
  if (i === undefined) {
    i = REASONS.length
    REASONS.push(r)
    reasonIndex.set(r, i)
  }
  return i
}
const assetIndex = new Map<Asset, number>(ASSETS.map((a, i) => [a, i]))
const CHUNK = 1 << 16

/** One fixed-size block of the log: filled once, never copied. */
class LogChunk {
  readonly debit = new Int32Array(CHUNK)
  readonly credit = new Int32Array(CHUNK)
  readonly asset = new Uint8Array(CHUNK)
  readonly reason = new Uint8Array(CHUNK)
  readonly amount = new BigInt64Array(CHUNK)
}

/**
 * Append-only transfer log, column-wise in fixed-size chunks: 18 bytes a transfer, and
 * growing never copies what is already written. A batch is a run of rows from its `start`.
 */
class TransferLog {
  length = 0
  private readonly chunks: LogChunk[] = []
  /** Amounts beyond int64 (possible at scale 18) live here; the column holds −1. */
  private readonly wide = new Map<number, bigint>()
  readonly batches: (Omit<TransferBatch, "transfers"> & { start: number })[] = []

  constructor(private readonly accountName: (id: number) => string) {}

  /** Appends a batch; `debitIds`/`creditIds` are the store's account numbers of each row. */
  append(b: TransferBatch, debitIds: Int32Array, creditIds: Int32Array): void {
    this.batches.push({ key: b.key, day: b.day, source: b.source, configVersion: b.configVersion, start: this.length })
    for (let j = 0; j < b.transfers.length; j++) {
      const t = b.transfers[j]
      const i = this.length++
      const at = i & (CHUNK - 1)
      if (at === 0) this.chunks.push(new LogChunk())
      const c = this.chunks[this.chunks.length - 1]
      c.debit[at] = debitIds[j]
      c.credit[at] = creditIds[j]
      c.asset[at] = assetIndex.get(t.asset)!
      c.reason[at] = reasonId(t.reason)
      if (t.amount > INT64_MAX) {
        c.amount[at] = -1n
        this.wide.set(i, t.amount)
      } else {
        c.amount[at] = t.amount
      }
    }
  }

  /**
   * Appends a member pass batch: each member's posting (DAY_SLOTS amounts) as its transfers,
   * slot by slot; `system(name)` gives a system account's number.
   */
  appendPostings(b: Omit<TransferBatch, "transfers">, refs: ArrayLike<number>, amounts: readonly bigint[], system: (name: string) => number): void {
    this.batches.push({ key: b.key, day: b.day, source: b.source, configVersion: b.configVersion, start: this.length })
    const S = DAY_SLOTS.length
    for (let r = 0; r < refs.length; r++) {
      for (let k = 0; k < S; k++) {
        const amount = amounts[r * S + k]
        if (amount === 0n) continue
        const slot = DAY_SLOTS[k]
        const i = this.length++
        const at = i & (CHUNK - 1)
        if (at === 0) this.chunks.push(new LogChunk())
        const c = this.chunks[this.chunks.length - 1]
        c.debit[at] = slot.debit === MEMBER ? refs[r] : system(slot.debit)
        c.credit[at] = slot.credit === MEMBER ? refs[r] : system(slot.credit)
        c.asset[at] = assetIndex.get(slot.asset)!
        c.reason[at] = reasonId(slot.reason)
        if (amount > INT64_MAX) {
          c.amount[at] = -1n
          this.wide.set(i, amount)
        } else {
          c.amount[at] = amount
        }
      }
    }
  }

  *rows(): Iterable<LedgerRow> {
    let batch = -1
    for (let i = 0; i < this.length; i++) {
      while (batch + 1 < this.batches.length && this.batches[batch + 1].start <= i) batch++
      const c = this.chunks[i >>> 16]
      const at = i & (CHUNK - 1)
      const a = c.amount[at]
      yield {
        batch,
        batchKey: this.batches[batch].key,
        asset: ASSETS[c.asset[at]],
        debit: this.accountName(c.debit[at]),
        credit: this.accountName(c.credit[at]),
        amount: a === -1n ? this.wide.get(i)! : a,
        reason: REASONS[c.reason[at]],
      }
    }
  }
}

const ASSET_COUNT = MEMBER_ASSETS.length
const memberAssetIndex = new Map<string, number>(MEMBER_ASSETS.map((a, i) => [a, i]))

/** Members, one slot each in join order; balances ASSET_COUNT slots per member. */
class MemberTable {
  n = 0
  readonly ids: string[] = []
  readonly byId = new Map<string, number>()
  referrer: Int32Array = new Int32Array(1024)
  depth: Int32Array = new Int32Array(1024)
  seq: Int32Array = new Int32Array(1024)
  level: Int8Array = new Int8Array(1024)
  star: Int8Array = new Int8Array(1024)
  hasOrders: Int8Array = new Int8Array(1024)
  firstTranche: Int32Array = new Int32Array(1024).fill(-1)
  lastTranche: Int32Array = new Int32Array(1024).fill(-1)
  readonly joinedDay: string[] = []
  /**
   * Net spend and team performance as integers of 10^-amountScale (the day close's bulk read
   * needs no decimal objects); amountScale grows, rescaling both, when an amount needs it.
   */
  amountScale = 0
  readonly netSpend = new BigColumn()
  readonly teamPerformance = new BigColumn()
  readonly purchaseWeight = new BigColumn()
  readonly referralWeight = new BigColumn()
  readonly adminWeight = new BigColumn()
  readonly balances = new BigColumn()

  add(m: MemberRecord): number {
    const i = this.n++
    const size = this.n
    this.referrer = growInt32(this.referrer, size)
    this.depth = growInt32(this.depth, size)
    this.seq = growInt32(this.seq, size)
    this.level = growInt8(this.level, size)
    this.star = growInt8(this.star, size)
    this.hasOrders = growInt8(this.hasOrders, size)
    this.firstTranche = growInt32(this.firstTranche, size, -1)
    this.lastTranche = growInt32(this.lastTranche, size, -1)
    this.ids.push(m.id)
    this.byId.set(m.id, i)
    this.joinedDay.push(m.joinedDay)
    for (let a = 0; a < ASSET_COUNT; a++) this.balances.set(i * ASSET_COUNT + a, 0n)
    this.write(i, m)
    return i
  }

  write(i: number, m: MemberRecord): void {
    this.referrer[i] = m.referrerId === null ? -1 : this.byId.get(m.referrerId)!
    this.depth[i] = m.depth
    this.seq[i] = m.seq
    this.level[i] = m.level === null ? -1 : m.level
    this.hasOrders[i] = m.hasOrders ? 1 : 0
    this.netSpend.set(i, this.units(m.netSpend))
    this.purchaseWeight.set(i, m.purchaseWeight)
    this.referralWeight.set(i, m.referralWeight)
    this.adminWeight.set(i, m.adminWeight)
  }

  record(i: number): MemberRecord {
    return this.view(i)
  }

  view(i: number): MemberView {
    const r = this.referrer[i]
    const level = this.level[i]
    return {
      id: this.ids[i],
      seq: this.seq[i],
      referrerId: r < 0 ? null : this.ids[r],
      depth: this.depth[i],
      joinedDay: this.joinedDay[i],
      netSpend: fromAtoms(this.netSpend.get(i), this.amountScale),
      purchaseWeight: this.purchaseWeight.get(i),
      referralWeight: this.referralWeight.get(i),
      adminWeight: this.adminWeight.get(i),
      level: level < 0 ? null : level,
      teamPerformance: fromAtoms(this.teamPerformance.get(i), this.amountScale),
      starLevel: this.star[i],
      hasOrders: this.hasOrders[i] === 1,
    }
  }

  /** An exact amount as units of 10^-amountScale, rescaling the columns first if it needs more. */
  units(amount: Dec): bigint {
    const decimals = amount.decimalPlaces()
    if (decimals > this.amountScale) {
      const factor = 10n ** BigInt(decimals - this.amountScale)
      for (let i = 0; i < this.n; i++) {
        this.netSpend.set(i, this.netSpend.get(i) * factor)
        this.teamPerformance.set(i, this.teamPerformance.get(i) * factor)
      }
      this.amountScale = decimals
    }
    return toAtoms(amount, this.amountScale)
  }

  balancesOf(i: number): MemberBalances {
    const base = i * ASSET_COUNT
    const b = {} as MemberBalances
    for (let a = 0; a < ASSET_COUNT; a++) b[MEMBER_ASSETS[a]] = this.balances.get(base + a)
    return b
  }
}

/** Tranches, one slot each in creation order, linked per member oldest first. */
class TrancheTable {
  n = 0
  readonly orderId: string[] = []
  member: Int32Array = new Int32Array(1024)
  seq: Int32Array = new Int32Array(1024)
  next: Int32Array = new Int32Array(1024).fill(-1)
  readonly multiple: Dec[] = []
  /** Read only on refunds: kept as the decimal string. */
  readonly netAmount: string[] = []
  readonly remaining = new BigColumn()
  readonly dailyBase = new BigColumn()

  record(i: number): TrancheRecord {
    return {
      orderId: this.orderId[i],
      memberId: "",
      seq: this.seq[i],
      multiple: this.multiple[i],
      remaining: this.remaining.get(i),
      netAmount: new Dec(this.netAmount[i]),
      dailyBase: this.dailyBase.get(i),
    }
  }

  write(i: number, t: TrancheRecord): void {
    this.seq[i] = t.seq
    this.multiple[i] = t.multiple
    this.netAmount[i] = t.netAmount.toFixed()
    this.remaining.set(i, t.remaining)
    this.dailyBase.set(i, t.dailyBase)
  }
}

const ORDER_STATUS = ["pending", "matured", "void"] as const
const GRANT_COUNT = GRANT_KINDS.length

/**
 * Orders, one slot each in placement order. They are read back only when they mature or are
 * refunded, so amounts are kept as their decimal strings and refund details only for orders
 * that have them.
 */
class OrderTable {
  n = 0
  readonly byId = new Map<string, number>()
  readonly ids: string[] = []
  member: Int32Array = new Int32Array(1024)
  referrer: Int32Array = new Int32Array(1024)
  seq: Int32Array = new Int32Array(1024)
  configVersion: Int32Array = new Int32Array(1024)
  status: Int8Array = new Int8Array(1024)
  hasGrants: Int8Array = new Int8Array(1024)
  readonly placedDay: string[] = []
  readonly maturesOn: string[] = []
  readonly amount: string[] = []
  /** Only orders with refunds or a reduced maturity differ from the defaults, so only they have these. */
  readonly refunds = new Map<number, { refundedBefore: string; matured: string; refundedAfter: string }>()
  readonly granted = new BigColumn()
  readonly refundIds = new Map<number, string[]>()
  readonly worth = new Map<number, bigint[]>()

  constructor(private readonly members: MemberTable) {}

  /** Stores an order; true when it is new. */
  put(o: OrderRecord): boolean {
    let i = this.byId.get(o.id)
    const isNew = i === undefined
    if (i === undefined) {
      i = this.n++
      this.member = growInt32(this.member, this.n)
      this.referrer = growInt32(this.referrer, this.n)
      this.seq = growInt32(this.seq, this.n)
      this.configVersion = growInt32(this.configVersion, this.n)
      this.status = growInt8(this.status, this.n)
      this.hasGrants = growInt8(this.hasGrants, this.n)
      this.byId.set(o.id, i)
      this.ids.push(o.id)
    }
    const decimal = (d: Dec) => (d.isZero() ? "0" : d.toFixed())
    this.member[i] = this.members.byId.get(o.memberId)!
    this.referrer[i] = o.referrerId === null ? -1 : this.members.byId.get(o.referrerId)!
    this.seq[i] = o.seq
    this.configVersion[i] = o.configVersion
    this.status[i] = ORDER_STATUS.indexOf(o.status)
    this.placedDay[i] = o.placedDay
    this.maturesOn[i] = o.maturesOn
    this.amount[i] = o.amount.toFixed()
    const maturedByDefault = o.status === "matured" ? o.matured.eq(o.amount) : o.matured.isZero()
    if (o.refundedBefore.isZero() && o.refundedAfter.isZero() && maturedByDefault) {
      this.refunds.delete(i)
    } else {
      this.refunds.set(i, {
        refundedBefore: decimal(o.refundedBefore),
        matured: decimal(o.matured),
        refundedAfter: decimal(o.refundedAfter),
      })
    }
    this.hasGrants[i] = o.granted ? 1 : 0
    for (let k = 0; k < GRANT_COUNT; k++) this.granted.set(i * GRANT_COUNT + k, o.granted ? o.granted[k] : 0n)
    if (o.refundIds.length > 0) this.refundIds.set(i, [...o.refundIds])
    if (o.worth) this.worth.set(i, [...o.worth])
    return isNew
  }

  get(i: number): OrderRecord {
    const referrer = this.referrer[i]
    const granted: bigint[] = []
    if (this.hasGrants[i]) for (let k = 0; k < GRANT_COUNT; k++) granted.push(this.granted.get(i * GRANT_COUNT + k))
    const worth = this.worth.get(i)
    const status = ORDER_STATUS[this.status[i]]
    const refunds = this.refunds.get(i)
    return {
      id: this.ids[i],
      memberId: this.members.ids[this.member[i]],
      seq: this.seq[i],
      placedDay: this.placedDay[i],
      amount: new Dec(this.amount[i]),
      refundedBefore: refunds ? new Dec(refunds.refundedBefore) : ZERO,
      maturesOn: this.maturesOn[i],
      status,
      matured: refunds ? new Dec(refunds.matured) : status === "matured" ? new Dec(this.amount[i]) : ZERO,
      refundedAfter: refunds ? new Dec(refunds.refundedAfter) : ZERO,
      refundIds: [...(this.refundIds.get(i) ?? [])],
      referrerId: referrer < 0 ? null : this.members.ids[referrer],
      granted: this.hasGrants[i] ? granted : null,
      worth: worth ? [...worth] : null,
      configVersion: this.configVersion[i],
    }
  }
}

function cloneReport(r: DayReport): DayReport {
  return {
    ...r,
    cycle: { ...r.cycle, tierPools: [...r.cycle.tierPools] },
    release: { ...r.release },
    growth: { ...r.growth },
  }
}

function cloneRun(r: DayRun): DayRun {
  return {
    ...r,
    exitDue: r.exitDue ? [...r.exitDue] : null,
    cycle: r.cycle ? { ...r.cycle, tierPools: [...r.cycle.tierPools], tierCounts: [...r.cycle.tierCounts] } : null,
    report: r.report ? cloneReport(r.report) : null,
  }
}

export class MemoryStore implements RewardsStore, StoreTx, LedgerReader {
  private program: ProgramState
  private readonly members = new MemberTable()
  private readonly tranches = new TrancheTable()
  private readonly orders = new OrderTable(this.members)
  /** System accounts: name → number (log ids −1, −2, …) and balances by asset. */
  private readonly systemIds = new Map<string, number>()
  private readonly systemNames: string[] = []
  private readonly systemBalances: Map<string, bigint>[] = []
  private readonly maturing = new Map<string, string[]>()
  private readonly daySales = new Map<string, Dec>()
  private readonly dayRuns = new Map<string, DayRun>()
  private readonly batchKeys = new Set<string>()
  /** The member pass's batches, staged until it is published. */
  private staged: MemberDayBatch[] = []
  readonly log = new TransferLog((id) => (id >= 0 ? memberAccount(this.members.ids[id]) : this.systemNames[-id - 1]))
  private queue: Promise<unknown> = Promise.resolve()

  constructor(initialPrice: Dec) {
    this.program = {
      firstDay: null,
      lastClosedDay: null,
      growthPrice: initialPrice,
      memberSeq: 0,
      orderSeq: 0,
      opSeq: 0,
    }
  }

  /** Units of work run one after another, as serializable transactions would. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const next = this.queue.then(() => fn(this))
    this.queue = next.catch(() => undefined)
    return next
  }

  private trancheList(i: number): TrancheRecord[] {
    const out: TrancheRecord[] = []
    const memberId = this.members.ids[i]
    for (let t = this.members.firstTranche[i]; t >= 0; t = this.tranches.next[t]) {
      const r = this.tranches.record(t)
      r.memberId = memberId
      out.push(r)
    }
    return out
  }

  async getProgram(): Promise<ProgramState> {
    return { ...this.program }
  }
  async getMember(id: string): Promise<MemberRecord | null> {
    const i = this.members.byId.get(id)
    return i === undefined ? null : this.members.record(i)
  }
  async isAncestor(ancestorId: string, memberId: string): Promise<boolean> {
    const m = this.members
    const target = m.byId.get(ancestorId)
    const start = m.byId.get(memberId)
    if (target === undefined || start === undefined) return false
    for (let i = m.referrer[start]; i >= 0; i = m.referrer[i]) if (i === target) return true
    return false
  }
  async getOrder(id: string): Promise<OrderRecord | null> {
    const i = this.orders.byId.get(id)
    return i === undefined ? null : this.orders.get(i)
  }
  async getTranches(memberId: string): Promise<TrancheRecord[]> {
    const i = this.members.byId.get(memberId)
    return i === undefined ? [] : this.trancheList(i)
  }
  async getMemberBalances(memberId: string): Promise<MemberBalances> {
    return this.memberBalancesNow(memberId)
  }
  async getSystemBalance(account: string, asset: Asset): Promise<bigint> {
    return this.systemBalanceNow(account, asset)
  }
  async hasBatch(key: string): Promise<boolean> {
    return this.batchKeys.has(key)
  }
  async getOrdersMaturingOn(day: string): Promise<OrderRecord[]> {
    return (this.maturing.get(day) ?? [])
      .map((id) => this.orders.get(this.orders.byId.get(id)!))
      .filter((o) => o.status === "pending")
      .sort((a, b) => a.seq - b.seq)
  }
  async getDaySales(day: string): Promise<Dec> {
    return this.daySales.get(day) ?? ZERO
  }
  async getDayRun(day: string): Promise<DayRun | null> {
    const r = this.dayRuns.get(day)
    return r ? cloneRun(r) : null
  }
  async getDayReports(): Promise<DayReport[]> {
    return [...this.dayRuns.values()]
      .filter((r) => r.step === "done" && r.report)
      .sort((a, b) => (a.day < b.day ? -1 : 1))
      .map((r) => cloneReport(r.report!))
  }

  async *streamBalances(assets: readonly MemberAsset[], batchSize: number): AsyncIterable<BalanceBatch> {
    const n = this.members.n
    const cells = assets.map((a) => memberAssetIndex.get(a)!)
    const balances = this.members.balances
    for (let from = 0; from < n; from += batchSize) {
      const count = Math.min(n, from + batchSize) - from
      const batch: BalanceBatch = { refs: new Int32Array(count), values: new Array<bigint>(count * cells.length) }
      for (let i = 0; i < count; i++) {
        const base = (from + i) * ASSET_COUNT
        batch.refs[i] = from + i
        for (let c = 0; c < cells.length; c++) batch.values[i * cells.length + c] = balances.get(base + cells[c])
      }
      yield batch
    }
  }

  async memberIdsOf(refs: readonly number[]): Promise<string[]> {
    return refs.map((i) => this.members.ids[i])
  }

  async getAmountScale(): Promise<number> {
    return this.members.amountScale
  }

  async *streamMemberDays(batchSize: number): AsyncIterable<MemberDayRow[]> {
    // counting sort by depth: deepest first, join order inside a depth
    const m = this.members
    const n = m.n
    let maxDepth = 0
    for (let i = 0; i < n; i++) if (m.depth[i] > maxDepth) maxDepth = m.depth[i]
    const start = new Int32Array(maxDepth + 2)
    for (let i = 0; i < n; i++) start[maxDepth - m.depth[i] + 1]++
    for (let d = 1; d <= maxDepth + 1; d++) start[d] += start[d - 1]
    const order = new Int32Array(n)
    for (let i = 0; i < n; i++) order[start[maxDepth - m.depth[i]]++] = i
    const cell = (a: MemberAsset) => memberAssetIndex.get(a)!
    const [quota, weight, debtCredit, debtPoints] = [cell("QUOTA"), cell("WEIGHT"), cell("DEBT_CREDIT"), cell("DEBT_POINTS")]
    const tt = this.tranches
    for (let from = 0; from < n; from += batchSize) {
      const rows: MemberDayRow[] = []
      for (let k = from; k < Math.min(n, from + batchSize); k++) {
        const i = order[k]
        const r = m.referrer[i]
        const tranches: ReleaseTranche[] = []
        for (let t = m.firstTranche[i]; t >= 0; t = tt.next[t]) {
          tranches.push({ remaining: tt.remaining.get(t), dailyBase: tt.dailyBase.get(t) })
        }
        const base = i * ASSET_COUNT
        rows.push({
          ref: i,
          referrerRef: r < 0 ? null : r,
          quota: m.balances.get(base + quota),
          weight: m.balances.get(base + weight),
          debtCredit: m.balances.get(base + debtCredit),
          debtPoints: m.balances.get(base + debtPoints),
          netSpend: m.netSpend.get(i),
          teamPerformance: m.teamPerformance.get(i),
          starLevel: m.star[i],
          tranches,
        })
      }
      yield rows
    }
  }

  /** Units of work of a day close run as they come (this store runs one unit at a time anyway). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return fn()
  }

  /** The log id and the balance cell of an account; member accounts are their member number. */
  private resolve(name: string): number {
    if (isMemberAccount(name)) {
      const m = this.members.byId.get(memberOf(name))
      if (m === undefined) throw new Error(`internal: transfer to unknown member account ${name}`)
      return m
    }
    let s = this.systemIds.get(name)
    if (s === undefined) {
      s = -(this.systemNames.length + 1)
      this.systemIds.set(name, s)
      this.systemNames.push(name)
      this.systemBalances.push(new Map())
    }
    return s
  }

  private move(id: number, asset: Asset, delta: bigint): void {
    if (id >= 0) {
      const cell = id * ASSET_COUNT + memberAssetIndex.get(asset)!
      this.members.balances.set(cell, this.members.balances.get(cell) + delta)
    } else {
      const b = this.systemBalances[-id - 1]
      b.set(asset, (b.get(asset) ?? 0n) + delta)
    }
  }

  async commit(change: Commit): Promise<void> {
    const batches = [...(change.batch ? [change.batch] : []), ...(change.batches ?? [])]
    for (const b of batches) {
      if (b.transfers.length > 0 && this.batchKeys.has(b.key)) throw new DuplicateBatchError(b.key)
    }
    if (change.memberDays && this.batchKeys.has(change.memberDays.key)) throw new DuplicateBatchError(change.memberDays.key)
    if (change.memberDays) checkSlots(change.memberDays)
    for (const m of change.members ?? []) {
      const i = this.members.byId.get(m.id)
      if (i === undefined) this.members.add(m)
      else this.members.write(i, m)
    }
    for (const b of batches) {
      if (b.transfers.length === 0 && this.batchKeys.has(b.key)) continue
      const n = b.transfers.length
      const debitIds = new Int32Array(n)
      const creditIds = new Int32Array(n)
      for (let j = 0; j < n; j++) {
        const t = b.transfers[j]
        // a member ref from a bulk read is the member's number here: no name lookup
        const debit = t.debitRef ?? this.resolve(t.debit)
        const credit = t.creditRef ?? this.resolve(t.credit)
        this.move(debit, t.asset, -t.amount)
        this.move(credit, t.asset, t.amount)
        debitIds[j] = debit
        creditIds[j] = credit
      }
      this.batchKeys.add(b.key)
      this.log.append(b, debitIds, creditIds)
    }
    for (const o of change.orders ?? []) {
      const isNew = this.orders.put(o)
      if (isNew && o.status === "pending") {
        const list = this.maturing.get(o.maturesOn) ?? []
        list.push(o.id)
        this.maturing.set(o.maturesOn, list)
      }
    }
    const tt = this.tranches
    for (const t of change.tranches ?? []) {
      // a member's few tranches are its list: found there, no index over all tranches
      const m = this.members.byId.get(t.memberId)!
      let i = this.members.firstTranche[m]
      while (i >= 0 && tt.orderId[i] !== t.orderId) i = tt.next[i]
      if (i < 0) {
        i = tt.n++
        tt.member = growInt32(tt.member, tt.n)
        tt.seq = growInt32(tt.seq, tt.n)
        tt.next = growInt32(tt.next, tt.n, -1)
        tt.orderId.push(t.orderId)
        tt.member[i] = m
        tt.multiple.push(t.multiple)
        tt.netAmount.push("")
        const last = this.members.lastTranche[m]
        if (last < 0) this.members.firstTranche[m] = i
        else tt.next[last] = i
        this.members.lastTranche[m] = i
      }
      tt.write(i, t)
    }
    if (change.memberDays) {
      // staged: the key is taken now, nothing else changes until the pass is published
      this.batchKeys.add(change.memberDays.key)
      this.staged.push(change.memberDays)
    }
    if (change.publishMemberDays) this.publish(change.publishMemberDays)
    for (const { day, delta } of change.daySales ?? []) {
      this.daySales.set(day, (this.daySales.get(day) ?? ZERO).plus(delta))
    }
    if (change.program) this.program = { ...change.program }
    if (change.dayRun) this.dayRuns.set(change.dayRun.day, cloneRun(change.dayRun))
    if (change.reparent) this.reparent(change.reparent)
  }

  /**
   * Commit.publishMemberDays: every staged batch of the pass, in staging order, joins the log as
   * its postings' transfers and moves the balances; tranches lose what left them today; the team
   * figures become the pass's.
   */
  private publish(p: NonNullable<Commit["publishMemberDays"]>): void {
    const S = DAY_SLOTS.length
    const totals = new Array<bigint>(S).fill(0n)
    const m = this.members
    const tt = this.tranches
    for (const b of this.staged) {
      if (b.day !== p.day) throw new Error(`internal: a staged batch of ${b.day} published with ${p.day}`)
      const refs = b.refs
      this.log.appendPostings(b, refs, b.amounts, (name) => this.resolve(name))
      let out = 0
      const shift = m.amountScale - b.amountScale
      if (shift < 0) throw new Error("internal: team performance at a scale the store never had")
      const factor = 10n ** BigInt(shift)
      for (let r = 0; r < refs.length; r++) {
        const ref = refs[r]
        for (let k = 0; k < S; k++) {
          const amount = b.amounts[r * S + k]
          if (amount === 0n) continue
          totals[k] += amount
          const slot = DAY_SLOTS[k]
          this.move(slot.debit === MEMBER ? ref : this.resolve(slot.debit), slot.asset, -amount)
          this.move(slot.credit === MEMBER ? ref : this.resolve(slot.credit), slot.asset, amount)
        }
        for (let t = m.firstTranche[ref]; t >= 0; t = tt.next[t]) {
          const left = b.trancheOut[out++]
          if (left !== 0n) tt.remaining.set(t, tt.remaining.get(t) - left)
        }
        m.teamPerformance.set(ref, b.teamPerformance[r] * factor)
        m.star[ref] = b.starLevel[r]
      }
      if (out !== b.trancheOut.length) throw new Error(`internal: ${b.key} does not match the tranches it was staged for`)
    }
    for (let k = 0; k < S; k++) {
      if (totals[k] !== p.slotTotals[k]) throw new Error(`internal: slot ${k} of ${p.day} totals ${totals[k]}, the pass counted ${p.slotTotals[k]}`)
    }
    this.staged = []
  }

  /** Commit.reparent: one pass, parents before children (by depth), marks the member's subtree. */
  private reparent(r: NonNullable<Commit["reparent"]>): void {
    const m = this.members
    const root = m.byId.get(r.memberId)!
    if (r.depthDelta !== 0) {
      let maxDepth = 0
      for (let i = 0; i < m.n; i++) if (m.depth[i] > maxDepth) maxDepth = m.depth[i]
      const start = new Int32Array(maxDepth + 2)
      for (let i = 0; i < m.n; i++) start[m.depth[i] + 1]++
      for (let d = 1; d <= maxDepth + 1; d++) start[d] += start[d - 1]
      const order = new Int32Array(m.n)
      for (let i = 0; i < m.n; i++) order[start[m.depth[i]]++] = i
      const inSubtree = new Uint8Array(m.n)
      for (let k = 0; k < m.n; k++) {
        const i = order[k]
        if (i === root || (m.referrer[i] >= 0 && inSubtree[m.referrer[i]] === 1)) inSubtree[i] = 1
      }
      for (let i = 0; i < m.n; i++) if (inSubtree[i] === 1) m.depth[i] += r.depthDelta
    }
    m.referrer[root] = r.referrerId === null ? -1 : m.byId.get(r.referrerId)!
  }

  // ---- LedgerReader (the audit, RULES.md §1.8) ----
  transfers(): Iterable<LedgerRow> {
    return this.log.rows()
  }
  *cachedBalances(): Iterable<{ account: string; asset: Asset; balance: bigint }> {
    for (let i = 0; i < this.members.n; i++) {
      const account = memberAccount(this.members.ids[i])
      for (let a = 0; a < ASSET_COUNT; a++) {
        yield { account, asset: MEMBER_ASSETS[a], balance: this.members.balances.get(i * ASSET_COUNT + a) }
      }
    }
    for (let s = 0; s < this.systemNames.length; s++) {
      for (const [asset, balance] of this.systemBalances[s]) yield { account: this.systemNames[s], asset: asset as Asset, balance }
    }
  }
  *allTranches(): Iterable<TrancheRecord> {
    for (let i = 0; i < this.members.n; i++) yield* this.trancheList(i)
  }
  recordedPrice(): Dec {
    return this.program.growthPrice
  }

  /** Every member in join order (reports, the simulator's output). */
  allMembers(): MemberView[] {
    const out: MemberView[] = []
    for (let i = 0; i < this.members.n; i++) out.push(this.members.view(i))
    return out
  }
  memberBalancesNow(id: string): MemberBalances {
    const i = this.members.byId.get(id)
    if (i === undefined) return emptyBalances()
    return this.members.balancesOf(i)
  }
  systemBalanceNow(account: string, asset: Asset): bigint {
    const s = this.systemIds.get(account)
    return s === undefined ? 0n : (this.systemBalances[-s - 1].get(asset) ?? 0n)
  }
  transferCount(): number {
    return this.log.length
  }
  programNow(): ProgramState {
    return { ...this.program }
  }
}

/**
 * MemberDayBatch.slots names exactly the slots that hold an amount: a store that reads only those
 * would drop a posting the mask misses. Checked here, where every engine test stages its batches.
 */
function checkSlots(b: MemberDayBatch): void {
  const S = DAY_SLOTS.length
  for (let i = 0; i < b.refs.length; i++) {
    for (let k = 0; k < S; k++) {
      if ((b.amounts[i * S + k] !== 0n) !== ((b.slots[i] >>> k) & 1) > 0) {
        throw new Error(`internal: ${b.key} member ${i} slot ${k}: the slot mask does not match the amount`)
      }
    }
  }
}
