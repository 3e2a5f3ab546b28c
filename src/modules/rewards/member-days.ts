/**
 * The day close's member pass on PostgreSQL (Migration20261203070000): what it reads, stages and
 * publishes. The engine decides every amount; this file only moves them.
 *
 * Reads: the current snapshot (the partition of the last published close, one row per member)
 * with one binary COPY, kept for the whole close (it never changes under it), and what operations
 * changed since (members and tranches with `gen` ≥ the current generation, the member balance
 * journal), read again at every stream (a close's own forced exits and maturing orders change
 * them). Members are numbered by their `seq` (the store's member handle).
 *
 * Writes: every batch of the pass as rows of the next partition, in a table of its own (binary
 * COPY, no index), under its ledger batch key; the publish builds the primary key, attaches the
 * table as the partition of its batch range, records the snapshot, empties the journal and books
 * the system side of the postings — one transaction.
 */
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { INT64_MAX, INT64_MIN, growInt32 } from "../../engine/columns"
import { Dec } from "../../engine/decimal"
import { DAY_SLOTS, MEMBER, MEMBER_ASSETS, type MemberAsset } from "../../engine/ledger"
import { type BalanceRow, DuplicateBatchError, type MemberDayBatch, type MemberDayRow, type ReleaseTranche } from "../../engine/store"
import {
  type BinaryRow,
  BinaryRows,
  type PgClient,
  arrayAt,
  copyIn,
  copyOut,
  int4At,
  int8NumberAt,
  isNull,
  numericArrayAt,
} from "./copy"

type Db = Knex | Knex.Transaction
// TEMP trace
const TRACE = process.env.REWARDS_TRACE ? (label: string, t0: bigint) => process.stderr.write(`${label} ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms @${(Number(process.hrtime.bigint()) / 1e6 % 1e6).toFixed(0)}\n`) : null
const now = () => process.hrtime.bigint()
export const CPU: Record<string, number> = {}
const cpuStart = () => process.cpuUsage()
const cpuAdd = (k: string, c: NodeJS.CpuUsage) => { const u = process.cpuUsage(c); CPU[k] = (CPU[k] ?? 0) + (u.user + u.system) / 1e3 }
type Row = Record<string, any>

const S = DAY_SLOTS.length
const A = MEMBER_ASSETS.length
/** Balance columns of rewards_member_day, in MEMBER_ASSETS order. */
export const BALANCE_COLUMNS = MEMBER_ASSETS.map((a) => a.toLowerCase())
const ASSET_INDEX = new Map<string, number>(MEMBER_ASSETS.map((a, i) => [a, i]))
/** `wide` (numeric[], 1-based in SQL): p0…p8, the balances, net, team. */
const WIDE_NET = S + A
const WIDE_TEAM = S + A + 1

/** The partition (or the staging table) of snapshot generation `gen`. */
export const partitionOf = (gen: number) => `rewards_member_day_${gen}`

const DAY_COLUMNS = ["seq", "batch_id", "id0", ...DAY_SLOTS.map((_, k) => `p${k}`), "referrer_seq", "depth", "star", "state", "wide"]

/** What the close reads back of a snapshot row: seq, referrer_seq, depth, star, state, wide. */
const SNAPSHOT_COLUMNS = ["seq", "referrer_seq", "depth", "star", "state", "wide"]

/** `state`: the balances, net and team as int8s, then 20 bytes per tranche (seq int4, remaining, daily base). */
const STATE_NET = A * 8
const STATE_TEAM = STATE_NET + 8
const STATE_TRANCHES = STATE_TEAM + 8
const TRANCHE_BYTES = 20
/** `wide`: p0…p8, the balances, net, team, then (seq, remaining, daily base) per tranche. */
const WIDE_TRANCHES = S + A + 2

async function rows(db: Db, sql: string, bindings: readonly unknown[] = []): Promise<Row[]> {
  return (await db.raw(sql, bindings as Knex.RawBinding[])).rows as Row[]
}

/** The pg client under `db` (a transaction's own connection), for COPY; `release` when done. */
async function clientOf(db: Db): Promise<{ client: PgClient; release: () => void }> {
  const knexClient = (db as any).client
  const client = (await knexClient.acquireConnection()) as PgClient
  return { client, release: () => knexClient.releaseConnection(client) }
}

/** `123.45` as units of 10^-scale (exact; the caller chose a scale with enough decimals). */
function units(text: string, scale: number): bigint {
  const negative = text.startsWith("-")
  const t = negative ? text.slice(1) : text
  const dot = t.indexOf(".")
  const whole = dot < 0 ? t : t.slice(0, dot)
  let frac = dot < 0 ? "" : t.slice(dot + 1).replace(/0+$/, "")
  if (frac.length > scale) throw new Error(`internal: ${text} has more than ${scale} decimals`)
  frac = frac.padEnd(scale, "0")
  const v = BigInt(whole + frac)
  return negative ? -v : v
}

function decimals(text: string): number {
  const dot = text.indexOf(".")
  return dot < 0 ? 0 : text.slice(dot + 1).replace(/0+$/, "").length
}

function wholeNumber(text: string): bigint {
  const dot = text.indexOf(".")
  return BigInt(dot < 0 ? text : text.slice(0, dot))
}

const SAFE = Number.MAX_SAFE_INTEGER

/**
 * Exact integers as JS numbers while they are safe integers, the rest as bigints on the side (the
 * number is NaN then): a million members' amounts without a bigint per value.
 */
class IntColumn {
  data: Float64Array
  readonly wide = new Map<number, bigint>()

  constructor(n: number) {
    this.data = new Float64Array(n)
  }

  grow(n: number): void {
    if (n <= this.data.length) return
    const next = new Float64Array(Math.max(n, this.data.length * 2))
    next.set(this.data)
    this.data = next
  }

  big(i: number): bigint {
    const v = this.data[i]
    return v === v ? BigInt(v) : this.wide.get(i)!
  }

  set(i: number, v: bigint): void {
    if (v >= -SAFE && v <= SAFE) {
      this.data[i] = Number(v)
      if (this.wide.size > 0) this.wide.delete(i)
    } else {
      this.data[i] = Number.NaN
      this.wide.set(i, v)
    }
  }

  /** The int8 at byte `at` of a binary COPY row. */
  read(i: number, view: DataView, at: number): void {
    const v = int8NumberAt(view, at)
    if (v === v) this.data[i] = v
    else this.set(i, view.getBigInt64(at))
  }
}

/** What operations changed since the snapshot (read again at every stream). */
interface Overlay {
  members: Map<number, { referrer: number; depth: number; net: string }>
  /** Per member: its tranches written since (seq, remaining, daily base). */
  tranches: Map<number, { seq: number[]; remaining: bigint[]; dailyBase: bigint[] }>
  journal: Map<number, bigint[]>
  /** Largest member seq. */
  maxSeq: number
}

/**
 * A batch of the pass as the store read it for the engine: what staging its rows needs, so the
 * state is not looked up twice. Balances of member i are bal[i·A …]; its tranches t in
 * [trFrom[i], trFrom[i+1]). A member whose amounts are not all safe integers is in `wide` (its
 * balances, tranche points, in that order, as bigints) and its numbers are NaN.
 */
interface BatchState {
  bal: Float64Array
  trFrom: Int32Array
  trSeq: Int32Array
  trRem: Float64Array
  trBase: Float64Array
  referrer: Int32Array
  depth: Int32Array
  wide: Map<number, { bal: bigint[]; rem: bigint[]; base: bigint[] }>
}

/** Per slot: the index of its asset among the member balances and the sign for the member (0: none). */
const SLOT_ASSET = DAY_SLOTS.map((s) => ASSET_INDEX.get(s.asset) ?? -1)
const SLOT_SIGN = DAY_SLOTS.map((s) => (s.debit === MEMBER ? -1 : s.credit === MEMBER ? 1 : 0))
const [QUOTA, WEIGHT, DEBT_CREDIT, DEBT_POINTS] = (["QUOTA", "WEIGHT", "DEBT_CREDIT", "DEBT_POINTS"] as const).map((a) => ASSET_INDEX.get(a)!)

/**
 * The member state a day close reads: the current snapshot, in columns indexed by member seq.
 * Loaded once per close (per snapshot generation); never changed while the close runs.
 */
export class DayCloseState {
  present: Uint8Array = new Uint8Array(0)
  referrer: Int32Array = new Int32Array(0)
  depth: Int32Array = new Int32Array(0)
  star: Int8Array = new Int8Array(0)
  readonly net = new IntColumn(0)
  readonly team = new IntColumn(0)
  readonly bal = new IntColumn(0)
  /** Tranches of member i: trSeq/trRem/trBase[trFirst[i] … trFirst[i] + trCount[i]). */
  trFirst: Int32Array = new Int32Array(0)
  trCount: Int32Array = new Int32Array(0)
  trSeq: Int32Array = new Int32Array(1024)
  readonly trRem = new IntColumn(1024)
  readonly trBase = new IntColumn(1024)
  private trN = 0
  private overlay: Overlay | null = null
  /** The batches handed to the engine, for staging them. */
  private readonly batches = new WeakMap<MemberDayRow[], BatchState>()
  /** Decimals of net and team in the snapshot, and the pass's (≥ it). */
  private passScale: number

  private constructor(
    readonly gen: number,
    private readonly snapshotScale: number
  ) {
    this.passScale = snapshotScale
  }

  /** The current snapshot of `db`'s program (generation 0: none yet). */
  static async load(db: Knex): Promise<DayCloseState> {
    const [p] = await rows(
      db,
      `select p.snapshot_gen as gen, s.amount_scale, p.member_seq
         from rewards_program p left join rewards_snapshot s on s.gen = p.snapshot_gen
        where p.deleted_at is null`
    )
    const state = new DayCloseState(p.gen, p.amount_scale ?? 0)
    state.grow(p.member_seq + 1)
    const t0 = now()
    const c0 = cpuStart()
    if (p.gen > 0) await state.readSnapshot(db)
    cpuAdd("load", c0)
    TRACE?.("load snapshot", t0)
    return state
  }

  private grow(n: number): void {
    if (n <= this.present.length) return
    const size = Math.max(n, this.present.length * 2)
    const widen = <T extends Int32Array | Int8Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const next = make(size)
      next.set(a)
      return next
    }
    this.present = widen(this.present, (k) => new Uint8Array(k))
    this.referrer = widen(this.referrer, (k) => new Int32Array(k))
    this.depth = widen(this.depth, (k) => new Int32Array(k))
    this.star = widen(this.star, (k) => new Int8Array(k))
    this.trFirst = widen(this.trFirst, (k) => new Int32Array(k))
    this.trCount = widen(this.trCount, (k) => new Int32Array(k))
    this.net.grow(size)
    this.team.grow(size)
    this.bal.grow(size * A)
  }

  private growTranches(n: number): void {
    this.trSeq = growInt32(this.trSeq, n)
    this.trRem.grow(n)
    this.trBase.grow(n)
  }

  private async readSnapshot(db: Knex): Promise<void> {
    const { client, release } = await clientOf(db)
    const wide: bigint[] = []
    try {
      await copyOut(client, `copy (select ${SNAPSHOT_COLUMNS.join(", ")} from ${partitionOf(this.gen)}) to stdout (format binary)`, (r: BinaryRow) => {
        const v = r.view
        const seq = v.getInt32(r.start[0])
        if (seq >= this.present.length) this.grow(seq + 1)
        this.present[seq] = 1
        this.referrer[seq] = r.length[1] < 0 ? -1 : v.getInt32(r.start[1])
        this.depth[seq] = v.getInt32(r.start[2])
        this.star[seq] = v.getInt16(r.start[3])
        const first = this.trN
        this.trFirst[seq] = first
        if (r.length[4] >= 0) {
          const at = r.start[4]
          for (let a = 0; a < A; a++) this.bal.read(seq * A + a, v, at + 8 * a)
          this.net.read(seq, v, at + STATE_NET)
          this.team.read(seq, v, at + STATE_TEAM)
          const count = (r.length[4] - STATE_TRANCHES) / TRANCHE_BYTES
          this.growTranches(first + count)
          for (let t = 0, p = at + STATE_TRANCHES; t < count; t++, p += TRANCHE_BYTES) {
            this.trSeq[first + t] = v.getInt32(p)
            this.trRem.read(first + t, v, p + 4)
            this.trBase.read(first + t, v, p + 12)
          }
          this.trCount[seq] = count
          this.trN += count
        } else {
          wide.length = 0
          numericArrayAt(r, 5, wide)
          for (let a = 0; a < A; a++) this.bal.set(seq * A + a, wide[S + a])
          this.net.set(seq, wide[S + A])
          this.team.set(seq, wide[S + A + 1])
          const count = (wide.length - WIDE_TRANCHES) / 3
          this.growTranches(first + count)
          for (let t = 0; t < count; t++) {
            this.trSeq[first + t] = Number(wide[WIDE_TRANCHES + 3 * t])
            this.trRem.set(first + t, wide[WIDE_TRANCHES + 3 * t + 1])
            this.trBase.set(first + t, wide[WIDE_TRANCHES + 3 * t + 2])
          }
          this.trCount[seq] = count
          this.trN += count
        }
      })
    } finally {
      release()
    }
  }

  /** Reads what operations changed since the snapshot (a close's own exits and maturing orders included). */
  async refresh(db: Knex): Promise<void> {
    const { client, release } = await clientOf(db)
    const overlay: Overlay = { members: new Map(), tranches: new Map(), journal: new Map(), maxSeq: this.present.length - 1 }
    try {
      await copyOut(
        client,
        `copy (select m.seq, r.seq, m.depth, m.net_spend::text
                 from rewards_member m left join rewards_member r on r.customer_id = m.referrer_id and r.deleted_at is null
                where m.gen >= ${this.gen} and m.deleted_at is null) to stdout (format binary)`,
        (r) => {
          const seq = int4At(r, 0)
          overlay.members.set(seq, { referrer: isNull(r, 1) ? -1 : int4At(r, 1), depth: int4At(r, 2), net: text(r, 3) })
          if (seq > overlay.maxSeq) overlay.maxSeq = seq
        }
      )
      await copyOut(
        client,
        `copy (select m.seq, t.seq, t.remaining::text, t.daily_base::text
                 from rewards_tranche t join rewards_member m on m.customer_id = t.member_id and m.deleted_at is null
                where t.gen >= ${this.gen} and t.deleted_at is null order by m.seq, t.seq) to stdout (format binary)`,
        (r) => {
          const member = int4At(r, 0)
          let list = overlay.tranches.get(member)
          if (!list) {
            list = { seq: [], remaining: [], dailyBase: [] }
            overlay.tranches.set(member, list)
          }
          list.seq.push(int4At(r, 1))
          list.remaining.push(wholeNumber(text(r, 2)))
          list.dailyBase.push(wholeNumber(text(r, 3)))
        }
      )
      await copyOut(
        client,
        `copy (select m.seq, j.asset, j.amount::text
                 from rewards_member_balance j join rewards_member m on m.customer_id = substr(j.account, 3) and m.deleted_at is null
                where j.amount <> 0) to stdout (format binary)`,
        (r) => {
          const member = int4At(r, 0)
          let deltas = overlay.journal.get(member)
          if (!deltas) {
            deltas = new Array<bigint>(A).fill(0n)
            overlay.journal.set(member, deltas)
          }
          deltas[ASSET_INDEX.get(text(r, 1))!] += wholeNumber(text(r, 2))
        }
      )
    } finally {
      release()
    }
    this.grow(overlay.maxSeq + 1)
    this.overlay = overlay
    // the pass counts net spend and team performance in units of its scale: enough for every net spend
    let scale = this.snapshotScale
    for (const m of overlay.members.values()) scale = Math.max(scale, decimals(m.net))
    this.passScale = scale
  }

  /** Decimals that make every net spend and team performance whole (RewardsStore.getAmountScale). */
  amountScale(): number {
    return this.passScale
  }

  private get o(): Overlay {
    if (!this.overlay) throw new Error("internal: the close's state was not refreshed")
    return this.overlay
  }

  private has(seq: number): boolean {
    return this.present[seq] === 1 || this.o.members.has(seq)
  }

  private rescale(v: bigint): bigint {
    return this.passScale === this.snapshotScale ? v : v * 10n ** BigInt(this.passScale - this.snapshotScale)
  }

  private balance(seq: number, asset: number): bigint {
    const base = this.present[seq] === 1 ? this.bal.big(seq * A + asset) : 0n
    const j = this.o.journal.get(seq)
    return j ? base + j[asset] : base
  }

  private referrerOf(seq: number): number {
    const m = this.o.members.get(seq)
    return m ? m.referrer : this.referrer[seq]
  }

  private depthOf(seq: number): number {
    const m = this.o.members.get(seq)
    return m ? m.depth : this.depth[seq]
  }

  /** Every member's balances of `assets`, in seq order (RewardsStore.streamBalances). */
  *balanceRows(assets: readonly MemberAsset[], batchSize: number): Iterable<BalanceRow[]> {
    const c0 = cpuStart()
    try { yield* this.balanceRowsNow(assets, batchSize) } finally { cpuAdd("balanceRows(+consumer)", c0) }
  }

  *balanceRowsNow(assets: readonly MemberAsset[], batchSize: number): Iterable<BalanceRow[]> {
    const cells = assets.map((a) => ASSET_INDEX.get(a)!)
    let batch: BalanceRow[] = []
    for (let seq = 1; seq <= this.o.maxSeq; seq++) {
      if (!this.has(seq)) continue
      batch.push({ ref: seq, values: cells.map((c) => this.balance(seq, c)) })
      if (batch.length === batchSize) {
        yield batch
        batch = []
      }
    }
    if (batch.length > 0) yield batch
  }

  /** Members in pass order, deepest first, seq order within a depth (RewardsStore.streamMemberDays). */
  *memberDayRows(batchSize: number): Iterable<MemberDayRow[]> {
    const n = this.o.maxSeq + 1
    let maxDepth = 0
    let count = 0
    for (let seq = 1; seq < n; seq++) {
      if (!this.has(seq)) continue
      count++
      const d = this.depthOf(seq)
      if (d > maxDepth) maxDepth = d
    }
    const start = new Int32Array(maxDepth + 2)
    for (let seq = 1; seq < n; seq++) if (this.has(seq)) start[maxDepth - this.depthOf(seq) + 1]++
    for (let d = 1; d <= maxDepth + 1; d++) start[d] += start[d - 1]
    const order = new Int32Array(count)
    for (let seq = 1; seq < n; seq++) if (this.has(seq)) order[start[maxDepth - this.depthOf(seq)]++] = seq
    for (let from = 0; from < count; from += batchSize) yield this.batch(order.subarray(from, Math.min(count, from + batchSize)))
  }

  /** The rows of members `seqs` (and, kept for staging them, their state as numbers). */
  private batch(seqs: Int32Array): MemberDayRow[] {
    const c0 = cpuStart()
    try { return this.batchNow(seqs) } finally { cpuAdd("rows", c0) }
  }

  private batchNow(seqs: Int32Array): MemberDayRow[] {
    const n = seqs.length
    const o = this.o
    let trancheCount = 0
    for (let i = 0; i < n; i++) {
      const seq = seqs[i]
      trancheCount += (this.present[seq] === 1 ? this.trCount[seq] : 0) + (o.tranches.get(seq)?.seq.length ?? 0)
    }
    const s: BatchState = {
      bal: new Float64Array(n * A),
      trFrom: new Int32Array(n + 1),
      trSeq: new Int32Array(trancheCount),
      trRem: new Float64Array(trancheCount),
      trBase: new Float64Array(trancheCount),
      referrer: new Int32Array(n),
      depth: new Int32Array(n),
      wide: new Map(),
    }
    const out: MemberDayRow[] = new Array(n)
    let t = 0
    for (let i = 0; i < n; i++) {
      const seq = seqs[i]
      const present = this.present[seq] === 1
      const member = o.members.get(seq)
      let wide = false
      // balances: the snapshot's and the journal's
      const journal = o.journal.get(seq)
      for (let a = 0; a < A; a++) {
        let v = present ? this.bal.data[seq * A + a] : 0
        if (journal && journal[a] !== 0n) v = v === v && journal[a] >= -SAFE && journal[a] <= SAFE ? v + Number(journal[a]) : Number.NaN
        if (!(v >= -SAFE && v <= SAFE)) wide = true
        s.bal[i * A + a] = v
      }
      // tranches: the snapshot's, with what operations wrote since in place (and new ones)
      s.trFrom[i] = t
      if (present) {
        const first = this.trFirst[seq]
        for (let k = 0; k < this.trCount[seq]; k++) {
          s.trSeq[t] = this.trSeq[first + k]
          s.trRem[t] = this.trRem.data[first + k]
          s.trBase[t] = this.trBase.data[first + k]
          if (s.trRem[t] !== s.trRem[t] || s.trBase[t] !== s.trBase[t]) wide = true
          t++
        }
      }
      const changed = o.tranches.get(seq)
      if (changed) {
        for (let k = 0; k < changed.seq.length; k++) {
          const rem = changed.remaining[k]
          const base = changed.dailyBase[k]
          if (rem < -SAFE || rem > SAFE || base < -SAFE || base > SAFE) wide = true
          let at = s.trFrom[i]
          while (at < t && s.trSeq[at] !== changed.seq[k]) at++
          if (at === t) {
            // a new tranche, in seq order
            at = t++
            while (at > s.trFrom[i] && s.trSeq[at - 1] > changed.seq[k]) {
              s.trSeq[at] = s.trSeq[at - 1]
              s.trRem[at] = s.trRem[at - 1]
              s.trBase[at] = s.trBase[at - 1]
              at--
            }
            s.trSeq[at] = changed.seq[k]
          }
          s.trRem[at] = Number(rem)
          s.trBase[at] = Number(base)
        }
      }
      s.referrer[i] = member ? member.referrer : this.referrer[seq]
      s.depth[i] = member ? member.depth : this.depth[seq]
      const tranches: ReleaseTranche[] = new Array(t - s.trFrom[i])
      let quota: bigint
      let weight: bigint
      let debtCredit: bigint
      let debtPoints: bigint
      if (wide) {
        const w = this.wideState(seq, s.trSeq.subarray(s.trFrom[i], t))
        s.wide.set(i, w)
        for (let k = 0; k < tranches.length; k++) tranches[k] = { remaining: w.rem[k], dailyBase: w.base[k] }
        quota = w.bal[QUOTA]
        weight = w.bal[WEIGHT]
        debtCredit = w.bal[DEBT_CREDIT]
        debtPoints = w.bal[DEBT_POINTS]
      } else {
        for (let k = 0; k < tranches.length; k++) {
          const x = s.trFrom[i] + k
          tranches[k] = { remaining: BigInt(s.trRem[x]), dailyBase: BigInt(s.trBase[x]) }
        }
        const at = i * A
        quota = BigInt(s.bal[at + QUOTA])
        weight = BigInt(s.bal[at + WEIGHT])
        debtCredit = BigInt(s.bal[at + DEBT_CREDIT])
        debtPoints = BigInt(s.bal[at + DEBT_POINTS])
      }
      out[i] = {
        ref: seq,
        referrerRef: s.referrer[i] < 0 ? null : s.referrer[i],
        quota,
        weight,
        debtCredit,
        debtPoints,
        netSpend: member ? units(member.net, this.passScale) : this.rescale(this.net.big(seq)),
        teamPerformance: present ? this.rescale(this.team.big(seq)) : 0n,
        starLevel: present ? this.star[seq] : 0,
        tranches,
      }
    }
    s.trFrom[n] = t
    this.batches.set(out, s)
    return out
  }

  /** A member's balances and tranche points as bigints (a member with amounts beyond safe integers). */
  private wideState(seq: number, trSeqs: Int32Array): { bal: bigint[]; rem: bigint[]; base: bigint[] } {
    const bal = Array.from({ length: A }, (_, a) => this.balance(seq, a))
    const rem: bigint[] = []
    const base: bigint[] = []
    const changed = this.o.tranches.get(seq)
    for (const trSeq of trSeqs) {
      const k = changed ? changed.seq.indexOf(trSeq) : -1
      if (k >= 0) {
        rem.push(changed!.remaining[k])
        base.push(changed!.dailyBase[k])
      } else {
        const first = this.trFirst[seq]
        let at = first
        while (this.trSeq[at] !== trSeq) at++
        rem.push(this.trRem.big(at))
        base.push(this.trBase.big(at))
      }
    }
    return { bal, rem, base }
  }

  /**
   * Commit.memberDays: the batch's ledger key, its transfer ids, and every member's row of the next
   * partition (its postings and its state after the day), staged in the partition's own table.
   */
  async stage(trx: Knex.Transaction, b: MemberDayBatch): Promise<void> {
    const t0 = now()
    try { await this.stageNow(trx, b) } finally { TRACE?.("stage", t0) }
  }

  private async stageNow(trx: Knex.Transaction, b: MemberDayBatch): Promise<void> {
    const t0 = now()
    const c0 = cpuStart()
    const s = this.batches.get(b.rows)
    if (!s) throw new Error(`internal: ${b.key} was not read through this close's stream`)
    const [inserted] = await rows(
      trx,
      `insert into rewards_transfer_batch (key, day, source, config_version) values (?, ?, ?, ?)
       on conflict (key) where deleted_at is null do nothing returning id`,
      [b.key, b.day, b.source, b.configVersion]
    )
    if (!inserted) throw new DuplicateBatchError(b.key)
    const batchId: number = inserted.id
    const n = b.rows.length
    // transfer ids: a range of the ledger's own sequence, S per member (slot k is id0 + k)
    const [{ last }] = await rows(
      trx,
      `select setval('rewards_transfer_id_seq', nextval('rewards_transfer_id_seq') + ?::bigint - 1) as last`,
      [n * S]
    )
    const firstId = Number(last) - n * S + 1
    const table = partitionOf(this.gen + 1)
    await trx.raw(`create table if not exists ${table} (like rewards_member_day)`)
    const c1 = cpuStart()
    const out = new BinaryRows()
    if (b.trancheOut.length !== s.trFrom[n]) throw new Error(`internal: ${b.key} does not match the tranches it was read with`)
    for (let i = 0; i < n; i++) {
      const row = b.rows[i]
      const at = i * S
      const from = s.trFrom[i]
      const to = s.trFrom[i + 1]
      let wide = s.wide.has(i) || !fitsInt8(row.netSpend) || !fitsInt8(b.teamPerformance[i])
      if (!wide) {
        // the postings move the member's balances (numbers while they stay safe integers)
        for (let k = 0; k < S; k++) {
          const amount = b.amounts[at + k]
          if (amount === 0n || SLOT_SIGN[k] === 0) continue
          const cell = i * A + SLOT_ASSET[k]
          const v = amount <= SAFE ? s.bal[cell] + SLOT_SIGN[k] * Number(amount) : Number.NaN
          if (!(v >= -SAFE && v <= SAFE)) wide = true
          s.bal[cell] = v
        }
        for (let k = 0; k < S; k++) if (!fitsInt8(b.amounts[at + k])) wide = true
        for (let t = from; t < to; t++) s.trRem[t] -= Number(b.trancheOut[t])
        if (wide) {
          // undo: the member goes the exact way
          for (let t = from; t < to; t++) s.trRem[t] += Number(b.trancheOut[t])
        }
      }
      out.row(DAY_COLUMNS.length)
      out.int4(row.ref)
      out.int4(batchId)
      out.int8n(firstId + at)
      if (wide) {
        this.writeWide(out, b, i, s)
        continue
      }
      for (let k = 0; k < S; k++) out.int8(b.amounts[at + k])
      if (s.referrer[i] < 0) out.null()
      else out.int4(s.referrer[i])
      out.int4(s.depth[i])
      out.int2(b.starLevel[i])
      const p = out.bytes(STATE_TRANCHES + TRANCHE_BYTES * (to - from))
      const v = out.data
      for (let a = 0; a < A; a++) setInt8(v, p + 8 * a, s.bal[i * A + a])
      v.setBigInt64(p + STATE_NET, row.netSpend)
      v.setBigInt64(p + STATE_TEAM, b.teamPerformance[i])
      for (let t = from, q = p + STATE_TRANCHES; t < to; t++, q += TRANCHE_BYTES) {
        v.setInt32(q, s.trSeq[t])
        setInt8(v, q + 4, s.trRem[t])
        setInt8(v, q + 12, s.trBase[t])
      }
      out.null()
    }
    cpuAdd("encode", c1)
    const { client, release } = await clientOf(trx)
    try {
      await copyIn(client, `copy ${table} (${DAY_COLUMNS.join(", ")}) from stdin (format binary)`, out.finish())
    } finally {
      release()
    }
  }

  /** The rest of a row whose amounts do not all fit int8 (or a JS number): everything exact, in `wide`. */
  private writeWide(out: BinaryRows, b: MemberDayBatch, i: number, s: BatchState): void {
    const row = b.rows[i]
    const from = s.trFrom[i]
    const to = s.trFrom[i + 1]
    const w = s.wide.get(i) ?? this.wideState(row.ref, s.trSeq.subarray(from, to))
    const bal = [...w.bal]
    for (let k = 0; k < S; k++) {
      const amount = b.amounts[i * S + k]
      if (SLOT_SIGN[k] !== 0) bal[SLOT_ASSET[k]] += SLOT_SIGN[k] > 0 ? amount : -amount
    }
    const tranches: bigint[] = []
    for (let t = from; t < to; t++) tranches.push(BigInt(s.trSeq[t]), w.rem[t - from] - b.trancheOut[t], w.base[t - from])
    for (let k = 0; k < S; k++) out.null()
    if (s.referrer[i] < 0) out.null()
    else out.int4(s.referrer[i])
    out.int4(s.depth[i])
    out.int2(b.starLevel[i])
    out.null()
    out.numericArray([...b.amounts.slice(i * S, i * S + S), ...bal, row.netSpend, b.teamPerformance[i], ...tranches])
  }

  /**
   * Commit.publishMemberDays: the staged table becomes the current snapshot's partition; the
   * journal starts again; the system accounts take the other side of every posting.
   */
  async publish(trx: Knex.Transaction, day: string, slotTotals: readonly bigint[]): Promise<void> {
    const t0 = now()
    try { await this.publishNow(trx, day, slotTotals) } finally { TRACE?.("publish", t0) }
  }

  private async publishNow(trx: Knex.Transaction, day: string, slotTotals: readonly bigint[]): Promise<void> {
    await syncSlots(trx)
    const gen = this.gen + 1
    const table = partitionOf(gen)
    await trx.raw(`create table if not exists ${table} (like rewards_member_day)`)
    const [range] = await rows(trx, `select min(batch_id) as lo, max(batch_id) as hi, count(*)::int as n from ${table}`)
    if (range.n > 0) {
      await trx.raw(`set local maintenance_work_mem = '256MB'`)
      const tp = now()
      await trx.raw(`alter table ${table} add primary key (seq)`)
      TRACE?.("  pk", tp)
      await trx.raw(`alter table rewards_member_day attach partition ${table} for values from (${range.lo}) to (${range.hi + 1})`)
      await trx.raw(
        `insert into rewards_snapshot (gen, day, batch_from, batch_to, amount_scale, members) values (?, ?, ?, ?, ?, ?)`,
        [gen, day, range.lo, range.hi + 1, this.passScale, range.n]
      )
      await trx.raw(`update rewards_program set snapshot_gen = ?, updated_at = now() where deleted_at is null`, [gen])
      await trx.raw(`truncate rewards_member_balance`)
    } else {
      await trx.raw(`drop table ${table}`)
    }
    // the system side of the postings (member balances are in the snapshot)
    const deltas = new Map<string, bigint>()
    const move = (account: string, asset: string, d: bigint) => {
      if (d === 0n) return
      const k = `${account}\u0000${asset}`
      deltas.set(k, (deltas.get(k) ?? 0n) + d)
    }
    DAY_SLOTS.forEach((slot, k) => {
      if (slot.debit !== MEMBER) move(slot.debit, slot.asset, -slotTotals[k])
      if (slot.credit !== MEMBER) move(slot.credit, slot.asset, slotTotals[k])
    })
    const sorted = [...deltas.entries()].filter(([, d]) => d !== 0n).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    if (sorted.length > 0) {
      await trx.raw(
        `insert into rewards_balance (id, account, asset, amount, raw_amount)
         select 'rwbal_' || md5(u.account || u.asset), u.account, u.asset, u.amount,
                jsonb_build_object('value', u.amount::text, 'precision', 20)
           from unnest(?::text[], ?::text[], ?::numeric[]) with ordinality as u(account, asset, amount, pos)
          order by u.pos
         on conflict (account, asset) where deleted_at is null
         do update set amount = rewards_balance.amount + excluded.amount,
                       raw_amount = jsonb_build_object('value', (rewards_balance.amount + excluded.amount)::text, 'precision', 20),
                       updated_at = now()`,
        [sorted.map(([k]) => k.split("\u0000")[0]), sorted.map(([k]) => k.split("\u0000")[1]), sorted.map(([, d]) => d.toString())]
      )
    }
  }
}

/** A safe integer as a big-endian int8. */
function setInt8(v: DataView, at: number, x: number): void {
  v.setInt32(at, Math.floor(x / 4294967296))
  v.setUint32(at + 4, x >>> 0)
}

const MAX8 = INT64_MAX
const MIN8 = INT64_MIN

function fitsInt8(v: bigint): boolean {
  return v <= MAX8 && v > MIN8
}

function text(r: BinaryRow, k: number): string {
  return r.buf.toString("utf8", r.start[k], r.start[k] + r.length[k])
}

/**
 * rewards_posting_slot holds DAY_SLOTS (what each posting amount means): filled from the engine's
 * constant, and a database whose slots differ from it refuses to publish (a new migration is due).
 */
async function syncSlots(trx: Knex.Transaction): Promise<void> {
  await trx.raw(
    `insert into rewards_posting_slot (slot, asset, debit, credit, reason)
     select * from unnest(?::smallint[], ?::text[], ?::text[], ?::text[], ?::text[])
     on conflict (slot) do nothing`,
    [DAY_SLOTS.map((_, k) => k), DAY_SLOTS.map((s) => s.asset), DAY_SLOTS.map((s) => s.debit), DAY_SLOTS.map((s) => s.credit), DAY_SLOTS.map((s) => s.reason)]
  )
  const stored = await rows(trx, `select slot, asset, debit, credit, reason from rewards_posting_slot order by slot`)
  const same =
    stored.length === DAY_SLOTS.length &&
    stored.every((r, k) => {
      const s = DAY_SLOTS[k]
      return r.slot === k && r.asset === s.asset && r.debit === s.debit && r.credit === s.credit && r.reason === s.reason
    })
  if (!same) throw new Error("rewards_posting_slot differs from the engine's DAY_SLOTS: the ledger's postings would change meaning")
}

/** Units → the exact decimal (team performance in reports). */
export function fromUnits(v: bigint, scale: number): Dec {
  return new Dec(v.toString()).div(new Dec(10).pow(scale))
}
