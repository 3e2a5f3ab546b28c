/**
 * The storage interface in memory: the simulator, the forecast and the tests run the engine on
 * it. The ledger is kept column-wise (typed arrays) so a million-member day close fits in a
 * bounded amount of memory; balances are a cache the audit recomputes from the transfers.
 */
import { Dec, ZERO } from "./decimal"
import { ASSETS, type Asset, type Reason, type TransferBatch, isMemberAccount, memberAccount, memberOf } from "./ledger"
import { emptyBalances } from "./op"
import {
  type Commit,
  type DayMemberRow,
  type DayReport,
  type DayRun,
  DuplicateBatchError,
  type MemberBalances,
  type MemberRecord,
  type OrderRecord,
  type ProgramState,
  type RewardsStore,
  type StoreTx,
  type TrancheRecord,
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
const INT64_MAX = (1n << 63n) - 1n

/** Append-only transfer log, column-wise. */
class TransferLog {
  length = 0
  private debit = new Int32Array(1024)
  private credit = new Int32Array(1024)
  private asset = new Uint8Array(1024)
  private reason = new Uint8Array(1024)
  private batch = new Int32Array(1024)
  private amount = new BigInt64Array(1024)
  /** Amounts beyond int64 (possible at scale 18) live here; the column holds −1. */
  private readonly wide = new Map<number, bigint>()
  readonly batches: Omit<TransferBatch, "transfers">[] = []

  constructor(private readonly accountName: (id: number) => string) {}

  private grow(min: number): void {
    if (min <= this.debit.length) return
    const size = Math.max(min, this.debit.length * 2)
    const g = <T extends Int32Array | Uint8Array | BigInt64Array>(old: T, make: (n: number) => T): T => {
      const next = make(size)
      next.set(old as never)
      return next
    }
    this.debit = g(this.debit, (n) => new Int32Array(n))
    this.credit = g(this.credit, (n) => new Int32Array(n))
    this.asset = g(this.asset, (n) => new Uint8Array(n))
    this.reason = g(this.reason, (n) => new Uint8Array(n))
    this.batch = g(this.batch, (n) => new Int32Array(n))
    this.amount = g(this.amount, (n) => new BigInt64Array(n))
  }

  /** Appends a batch; `debitIds`/`creditIds` are the store's account numbers of each row. */
  append(b: TransferBatch, debitIds: Int32Array, creditIds: Int32Array): void {
    const batchId = this.batches.length
    this.batches.push({ key: b.key, day: b.day, source: b.source, configVersion: b.configVersion })
    this.grow(this.length + b.transfers.length)
    for (let j = 0; j < b.transfers.length; j++) {
      const t = b.transfers[j]
      const i = this.length++
      this.debit[i] = debitIds[j]
      this.credit[i] = creditIds[j]
      this.asset[i] = assetIndex.get(t.asset)!
      this.reason[i] = reasonId(t.reason)
      this.batch[i] = batchId
      if (t.amount > INT64_MAX) {
        this.amount[i] = -1n
        this.wide.set(i, t.amount)
      } else {
        this.amount[i] = t.amount
      }
    }
  }

  *rows(): Iterable<LedgerRow> {
    for (let i = 0; i < this.length; i++) {
      const a = this.amount[i]
      yield {
        batch: this.batch[i],
        batchKey: this.batches[this.batch[i]].key,
        asset: ASSETS[this.asset[i]],
        debit: this.accountName(this.debit[i]),
        credit: this.accountName(this.credit[i]),
        amount: a === -1n ? this.wide.get(i)! : a,
        reason: REASONS[this.reason[i]],
      }
    }
  }
}

function cloneOrder(o: OrderRecord): OrderRecord {
  return { ...o, grants: o.grants.map((g) => ({ ...g })), refundIds: [...o.refundIds] }
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

/** An account: its number in the transfer log and its balances by asset. */
interface Account {
  id: number
  name: string
  balances: Record<string, bigint>
}

/** Everything the store keeps of one member, found with one lookup. */
interface Slot {
  member: MemberRecord
  account: Account
  balances: MemberBalances
  tranches: TrancheRecord[]
}

export class MemoryStore implements RewardsStore, StoreTx, LedgerReader {
  private program: ProgramState
  /** Members in join order. */
  private readonly slots = new Map<string, Slot>()
  private readonly accounts = new Map<string, Account>()
  private readonly accountList: Account[] = []
  private readonly orders = new Map<string, OrderRecord>()
  private readonly maturing = new Map<string, string[]>()
  private readonly daySales = new Map<string, Dec>()
  private readonly dayRuns = new Map<string, DayRun>()
  private readonly batchKeys = new Set<string>()
  readonly log = new TransferLog((id) => this.accountList[id].name)
  private queue: Promise<unknown> = Promise.resolve()

  private account(name: string): Account {
    let a = this.accounts.get(name)
    if (a === undefined) {
      let balances: Record<string, bigint> = {}
      if (isMemberAccount(name)) {
        const slot = this.slots.get(memberOf(name))
        if (!slot) throw new Error(`internal: transfer to unknown member account ${name}`)
        balances = slot.balances
      }
      a = { id: this.accountList.length, name, balances }
      this.accountList.push(a)
      this.accounts.set(name, a)
    }
    return a
  }

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

  async getProgram(): Promise<ProgramState> {
    return { ...this.program }
  }
  async getMember(id: string): Promise<MemberRecord | null> {
    const slot = this.slots.get(id)
    return slot ? { ...slot.member } : null
  }
  async getOrder(id: string): Promise<OrderRecord | null> {
    const o = this.orders.get(id)
    return o ? cloneOrder(o) : null
  }
  async getTranches(memberId: string): Promise<TrancheRecord[]> {
    return (this.slots.get(memberId)?.tranches ?? []).map((t) => ({ ...t }))
  }
  async getMemberBalances(memberId: string): Promise<MemberBalances> {
    return { ...(this.slots.get(memberId)?.balances ?? emptyBalances()) }
  }
  async getSystemBalance(account: string, asset: Asset): Promise<bigint> {
    return this.systemBalanceNow(account, asset)
  }
  async hasBatch(key: string): Promise<boolean> {
    return this.batchKeys.has(key)
  }
  async getOrdersMaturingOn(day: string): Promise<OrderRecord[]> {
    return (this.maturing.get(day) ?? [])
      .map((id) => this.orders.get(id)!)
      .filter((o) => o.status === "pending")
      .sort((a, b) => a.seq - b.seq)
      .map(cloneOrder)
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
  private row(slot: Slot): DayMemberRow {
    return { account: slot.account.name, member: slot.member, balances: slot.balances, tranches: slot.tranches }
  }

  /** Rows are read-only snapshots: the engine copies before it changes anything. */
  async *streamMembersBySeq(batchSize: number): AsyncIterable<DayMemberRow[]> {
    let rows: DayMemberRow[] = []
    for (const slot of this.slots.values()) {
      rows.push(this.row(slot))
      if (rows.length === batchSize) {
        yield rows
        rows = []
      }
    }
    if (rows.length > 0) yield rows
  }

  async *streamMembersBottomUp(batchSize: number): AsyncIterable<DayMemberRow[]> {
    // counting sort by depth: deepest first; join order inside a depth
    const byDepth: Slot[][] = []
    for (const slot of this.slots.values()) (byDepth[slot.member.depth] ??= []).push(slot)
    let rows: DayMemberRow[] = []
    for (let d = byDepth.length - 1; d >= 0; d--) {
      for (const slot of byDepth[d] ?? []) {
        rows.push(this.row(slot))
        if (rows.length === batchSize) {
          yield rows
          rows = []
        }
      }
    }
    if (rows.length > 0) yield rows
  }

  async commit(change: Commit): Promise<void> {
    const b = change.batch
    if (b && b.transfers.length > 0 && this.batchKeys.has(b.key)) throw new DuplicateBatchError(b.key)
    for (const m of change.members ?? []) {
      const slot = this.slots.get(m.id)
      if (slot) {
        slot.member = m
      } else {
        const balances = emptyBalances()
        const s: Slot = { member: m, balances, tranches: [], account: null as unknown as Account }
        this.slots.set(m.id, s)
        s.account = this.account(memberAccount(m.id))
      }
    }
    if (b && (b.transfers.length > 0 || !this.batchKeys.has(b.key))) {
      const n = b.transfers.length
      const debitIds = new Int32Array(n)
      const creditIds = new Int32Array(n)
      for (let j = 0; j < n; j++) {
        const t = b.transfers[j]
        const debit = this.account(t.debit)
        const credit = this.account(t.credit)
        debit.balances[t.asset] = (debit.balances[t.asset] ?? 0n) - t.amount
        credit.balances[t.asset] = (credit.balances[t.asset] ?? 0n) + t.amount
        debitIds[j] = debit.id
        creditIds[j] = credit.id
      }
      this.batchKeys.add(b.key)
      this.log.append(b, debitIds, creditIds)
    }
    for (const o of change.orders ?? []) {
      const isNew = !this.orders.has(o.id)
      this.orders.set(o.id, o)
      if (isNew && o.status === "pending") {
        const list = this.maturing.get(o.maturesOn) ?? []
        list.push(o.id)
        this.maturing.set(o.maturesOn, list)
      }
    }
    for (const t of change.tranches ?? []) {
      const list = this.slots.get(t.memberId)!.tranches
      const i = list.findIndex((x) => x.orderId === t.orderId)
      if (i >= 0) list[i] = t
      else list.push(t)
    }
    for (const { day, delta } of change.daySales ?? []) {
      this.daySales.set(day, (this.daySales.get(day) ?? ZERO).plus(delta))
    }
    if (change.program) this.program = { ...change.program }
    if (change.dayRun) this.dayRuns.set(change.dayRun.day, cloneRun(change.dayRun))
  }

  // ---- LedgerReader (the audit, RULES.md §1.8) ----
  transfers(): Iterable<LedgerRow> {
    return this.log.rows()
  }
  *cachedBalances(): Iterable<{ account: string; asset: Asset; balance: bigint }> {
    for (const a of this.accountList) {
      for (const [asset, balance] of Object.entries(a.balances)) yield { account: a.name, asset: asset as Asset, balance }
    }
  }
  *allTranches(): Iterable<TrancheRecord> {
    for (const slot of this.slots.values()) yield* slot.tranches
  }
  recordedPrice(): Dec {
    return this.program.growthPrice
  }

  /** Every member in join order (reports, the simulator's output). */
  allMembers(): MemberRecord[] {
    return [...this.slots.values()].map((s) => s.member)
  }
  memberBalancesNow(id: string): MemberBalances {
    return this.slots.get(id)?.balances ?? emptyBalances()
  }
  systemBalanceNow(account: string, asset: Asset): bigint {
    return this.accounts.get(account)?.balances[asset] ?? 0n
  }
  transferCount(): number {
    return this.log.length
  }
  programNow(): ProgramState {
    return { ...this.program }
  }
}
