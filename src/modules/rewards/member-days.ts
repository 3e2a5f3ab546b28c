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
 * COPY, no index, checked to hold only the pass's reserved batch ids), under its ledger batch key.
 * The publish builds the primary key and the BRIN index (side by side, before its transaction),
 * then in one transaction attaches the table as the partition of its batch range, records the
 * snapshot, empties the journal and books the system side of the postings.
 */
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { INT64_MAX, INT64_MIN } from "../../engine/columns"
import { DAY_SLOTS, MEMBER, MEMBER_ASSETS, type MemberAsset } from "../../engine/ledger"
import { type BalanceBatch, DuplicateBatchError, type MemberDayBatch, type MemberDayRow, type ReleaseTranche } from "../../engine/store"
import {
  type BinaryRow,
  BinaryRows,
  clientOf,
  copyIn,
  copyOut,
  int4At,
  isNull,
  numericArrayAt,
  textAt,
} from "./copy"

type Db = Knex | Knex.Transaction
type Row = Record<string, any>

const S = DAY_SLOTS.length
const A = MEMBER_ASSETS.length
/** Balance columns of rewards_member_day, in MEMBER_ASSETS order. */
export const BALANCE_COLUMNS = MEMBER_ASSETS.map((a) => a.toLowerCase())
const ASSET_INDEX = new Map<string, number>(MEMBER_ASSETS.map((a, i) => [a, i]))
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

/** Binary COPYs that read a snapshot side by side. */
const READ_STREAMS = 2

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
 * A member's state in bigints: a member the snapshot does not hold as it is now (new since,
 * changed by an operation since, or with amounts beyond int8).
 */
interface Exact {
  bal: bigint[]
  /** Net spend and team performance in units of the pass's scale. */
  net: bigint
  team: bigint
  star: number
  trSeq: number[]
  trRem: bigint[]
  trBase: bigint[]
}

/**
 * A batch of the pass as the store read it for the engine, kept for staging it (the engine hands
 * back only the members, MemberDayBatch.refs): member i is seq[i]; its state is the snapshot's
 * bytes at (chunk[i], at[i]) (len[i] bytes), or exact[i] when chunk[i] is −1.
 */
interface BatchState {
  seq: Int32Array
  /** Its ledger batch id, reserved by the pass (startPass). */
  batchId: number
  /** Its first transfer id (of its first member's slot 0). */
  firstId: number
  /**
   * The net spend the pass read (units of its scale) where the snapshot's bytes do not hold it:
   * a member changed since the snapshot, or every member when the pass's scale is finer.
   */
  net: (bigint | undefined)[]
  chunk: Int32Array
  at: Int32Array
  len: Int32Array
  referrer: Int32Array
  depth: Int32Array
  exact: (Exact | undefined)[]
}

/** Per slot: the offset of its asset's balance in `state` and the sign for the member (0: none). */
const SLOT_AT = DAY_SLOTS.map((s) => 8 * (ASSET_INDEX.get(s.asset) ?? 0))
const SLOT_ASSET = DAY_SLOTS.map((s) => ASSET_INDEX.get(s.asset) ?? -1)
const SLOT_SIGN = DAY_SLOTS.map((s) => (s.debit === MEMBER ? -1 : s.credit === MEMBER ? 1 : 0))
const [QUOTA, WEIGHT, DEBT_CREDIT, DEBT_POINTS] = (["QUOTA", "WEIGHT", "DEBT_CREDIT", "DEBT_POINTS"] as const).map((a) => ASSET_INDEX.get(a)!)

/**
 * The member state a day close reads: the current snapshot, as the bytes of each member's `state`
 * (left in the buffers the rows arrived in) and columns indexed by member seq. Loaded once per close (per
 * snapshot generation); never changed while the close runs. A staged row copies the member's bytes
 * and writes only what the day changed.
 */
export class DayCloseState {
  present: Uint8Array = new Uint8Array(0)
  referrer: Int32Array = new Int32Array(0)
  depth: Int32Array = new Int32Array(0)
  star: Int8Array = new Int8Array(0)
  /** Where member seq's `state` is: arena chunk (−1: none, or `wide` rows: see `wide`), offset, length. */
  stChunk: Int32Array = new Int32Array(0)
  stAt: Int32Array = new Int32Array(0)
  stLen: Int32Array = new Int32Array(0)
  /** The buffers the snapshot's rows arrived in (as Buffers and DataViews over all of each). */
  private readonly arena: Buffer[] = []
  private readonly views: DataView[] = []
  private readonly viewIndex = new Map<DataView, number>()
  /** Snapshot rows whose amounts did not fit int8, exact (units of the snapshot's scale). */
  private readonly wide = new Map<number, Exact>()
  private overlay: Overlay | null = null
  /**
   * The batches handed to the engine and not staged yet, by their first member. Batches may be
   * staged in any order, side by side; those of a resumed pass that were staged before the crash
   * stay here until the next pass.
   */
  private unstaged = new Map<number, BatchState>()
  /**
   * The pass (startPass): its members in pass order, its batch size, and the ids reserved for it:
   * transfer ids from `firstId`, S per member in pass order (member k's slot j is firstId + k·S + j),
   * and batch ids from `firstBatch`, one per batch in pass order.
   */
  private pass: {
    order: Int32Array
    batchSize: number
    firstId: number
    firstBatch: number
    /** Set when the staging table was prepared in a committed transaction: the pool it came from. */
    sideDb: Knex | null
  } | null = null
  /**
   * What this pass staged itself: members, batch id and first transfer id ranges. When it staged
   * every member of the pass, the publish takes the partition's bounds from here instead of
   * scanning the staged table; a pass that resumes after a crash staged fewer and scans it.
   */
  private staged = { members: 0, lo: 0, hi: 0, first: 0, last: 0 }
  /** COPY buffers, reused from batch to batch: one set per batch being staged. */
  private readonly pools: Buffer[][] = []
  /** Decimals of net and team in the snapshot, and the pass's (≥ it). */
  private passScale: number
  private factor = 1n

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
    if (p.gen > 0) await state.readSnapshot(db)
    return state
  }

  private grow(n: number): void {
    if (n <= this.present.length) return
    const size = Math.max(n, this.present.length * 2)
    const widen = <T extends Int32Array | Int8Array | Uint8Array>(a: T, make: (n: number) => T, fill = 0): T => {
      const next = make(size)
      if (fill !== 0) next.fill(fill)
      next.set(a)
      return next
    }
    this.present = widen(this.present, (k) => new Uint8Array(k))
    this.referrer = widen(this.referrer, (k) => new Int32Array(k))
    this.depth = widen(this.depth, (k) => new Int32Array(k))
    this.star = widen(this.star, (k) => new Int8Array(k))
    this.stChunk = widen(this.stChunk, (k) => new Int32Array(k), -1)
    this.stAt = widen(this.stAt, (k) => new Int32Array(k))
    this.stLen = widen(this.stLen, (k) => new Int32Array(k))
  }

  /**
   * The snapshot's rows, in READ_STREAMS binary COPYs over ranges of its blocks, side by side:
   * PostgreSQL's output runs on as many backends while this process takes the rows as they come.
   */
  private async readSnapshot(db: Knex): Promise<void> {
    const table = partitionOf(this.gen)
    const [{ blocks }] = await rows(db, `select (pg_relation_size(?) / current_setting('block_size')::int)::int as blocks`, [table])
    const step = Math.ceil((blocks + 1) / READ_STREAMS)
    await Promise.all(
      Array.from({ length: READ_STREAMS }, (_, k) =>
        this.readBlocks(db, table, k * step, k === READ_STREAMS - 1 ? null : (k + 1) * step)
      )
    )
  }

  /** Rows of blocks [from, to) (to null: to the end). */
  private async readBlocks(db: Knex, table: string, from: number, to: number | null): Promise<void> {
    const { client, release } = await clientOf(db)
    const wide: bigint[] = []
    const range = `ctid >= '(${from},0)'::tid${to === null ? "" : ` and ctid < '(${to},0)'::tid`}`
    try {
      await copyOut(client, `copy (select ${SNAPSHOT_COLUMNS.join(", ")} from ${table} where ${range}) to stdout (format binary)`, (r: BinaryRow) => {
        const v = r.view
        const seq = v.getInt32(r.start[0])
        if (seq >= this.present.length) this.grow(seq + 1)
        this.present[seq] = 1
        this.referrer[seq] = r.length[1] < 0 ? -1 : v.getInt32(r.start[1])
        this.depth[seq] = v.getInt32(r.start[2])
        this.star[seq] = v.getInt16(r.start[3])
        const len = r.length[4]
        if (len >= 0) {
          // the row's bytes stay where the socket delivered them: keep that buffer, note where
          let chunk = this.viewIndex.get(v)
          if (chunk === undefined) {
            chunk = this.views.length
            this.views.push(v)
            this.arena.push(Buffer.from(v.buffer))
            this.viewIndex.set(v, chunk)
          }
          this.stChunk[seq] = chunk
          this.stAt[seq] = r.start[4]
          this.stLen[seq] = len
        } else {
          wide.length = 0
          numericArrayAt(r, 5, wide)
          const count = (wide.length - WIDE_TRANCHES) / 3
          this.wide.set(seq, {
            bal: wide.slice(S, S + A),
            net: wide[S + A],
            team: wide[S + A + 1],
            star: this.star[seq],
            trSeq: Array.from({ length: count }, (_, t) => Number(wide[WIDE_TRANCHES + 3 * t])),
            trRem: Array.from({ length: count }, (_, t) => wide[WIDE_TRANCHES + 3 * t + 1]),
            trBase: Array.from({ length: count }, (_, t) => wide[WIDE_TRANCHES + 3 * t + 2]),
          })
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
          overlay.members.set(seq, { referrer: isNull(r, 1) ? -1 : int4At(r, 1), depth: int4At(r, 2), net: textAt(r, 3) })
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
          list.remaining.push(wholeNumber(textAt(r, 2)))
          list.dailyBase.push(wholeNumber(textAt(r, 3)))
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
          deltas[ASSET_INDEX.get(textAt(r, 1))!] += wholeNumber(textAt(r, 2))
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
    this.factor = 10n ** BigInt(scale - this.snapshotScale)
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

  /** Whether member seq's state is its snapshot bytes as they are (no change since, nothing wide). */
  private asSnapshot(seq: number): boolean {
    return this.stChunk[seq] >= 0 && !this.o.journal.has(seq) && !this.o.tranches.has(seq)
  }

  private depthOf(seq: number): number {
    const m = this.o.members.get(seq)
    return m ? m.depth : this.depth[seq]
  }

  private netOf(seq: number, snapshotNet: bigint): bigint {
    const m = this.o.members.get(seq)
    return m ? units(m.net, this.passScale) : this.rescale(snapshotNet)
  }

  /** Units of the snapshot's scale → the pass's. */
  private rescale(v: bigint): bigint {
    return this.factor === 1n ? v : v * this.factor
  }

  /** Member seq's state now, exact: the snapshot's with what operations changed since. */
  private exact(seq: number): Exact {
    const e: Exact = { bal: new Array<bigint>(A).fill(0n), net: 0n, team: 0n, star: 0, trSeq: [], trRem: [], trBase: [] }
    const w = this.wide.get(seq)
    if (w) {
      e.bal = [...w.bal]
      e.net = w.net
      e.team = w.team
      e.star = w.star
      e.trSeq = [...w.trSeq]
      e.trRem = [...w.trRem]
      e.trBase = [...w.trBase]
    } else if (this.stChunk[seq] >= 0) {
      const v = this.views[this.stChunk[seq]]
      const at = this.stAt[seq]
      for (let a = 0; a < A; a++) e.bal[a] = v.getBigInt64(at + 8 * a)
      e.net = v.getBigInt64(at + STATE_NET)
      e.team = v.getBigInt64(at + STATE_TEAM)
      e.star = this.star[seq]
      for (let p = at + STATE_TRANCHES; p < at + this.stLen[seq]; p += TRANCHE_BYTES) {
        e.trSeq.push(v.getInt32(p))
        e.trRem.push(v.getBigInt64(p + 4))
        e.trBase.push(v.getBigInt64(p + 12))
      }
    }
    e.net = this.netOf(seq, e.net)
    e.team = this.rescale(e.team)
    const journal = this.o.journal.get(seq)
    if (journal) for (let a = 0; a < A; a++) e.bal[a] += journal[a]
    const changed = this.o.tranches.get(seq)
    if (changed) {
      for (let k = 0; k < changed.seq.length; k++) {
        let at = e.trSeq.indexOf(changed.seq[k])
        if (at < 0) {
          at = e.trSeq.length
          while (at > 0 && e.trSeq[at - 1] > changed.seq[k]) at--
          e.trSeq.splice(at, 0, changed.seq[k])
          e.trRem.splice(at, 0, 0n)
          e.trBase.splice(at, 0, 0n)
        }
        e.trRem[at] = changed.remaining[k]
        e.trBase[at] = changed.dailyBase[k]
      }
    }
    return e
  }

  /** Every member's balances of `assets`, in seq order (RewardsStore.streamBalances). */
  *balanceBatches(assets: readonly MemberAsset[], batchSize: number): Iterable<BalanceBatch> {
    const cells = assets.map((a) => ASSET_INDEX.get(a)!)
    const w = cells.length
    const fresh = (): BalanceBatch => ({ refs: new Int32Array(batchSize), values: new Array<bigint>(batchSize * w) })
    let batch = fresh()
    let n = 0
    for (let seq = 1; seq <= this.o.maxSeq; seq++) {
      if (!this.has(seq)) continue
      const at = n * w
      if (this.asSnapshot(seq)) {
        const v = this.views[this.stChunk[seq]]
        const state = this.stAt[seq]
        for (let c = 0; c < w; c++) batch.values[at + c] = int8Of(v, state + 8 * cells[c])
      } else {
        const e = this.exact(seq)
        for (let c = 0; c < w; c++) batch.values[at + c] = e.bal[cells[c]]
      }
      batch.refs[n++] = seq
      if (n === batchSize) {
        yield batch
        batch = fresh()
        n = 0
      }
    }
    if (n > 0) yield { refs: batch.refs.subarray(0, n), values: batch.values.slice(0, n * w) }
  }

  /**
   * Before a pass's first batch is read: its members in pass order, deepest first, seq order
   * within a depth; the staging table ready (prepareStaging, committed: batches are then staged
   * side by side, each in a transaction of its own); and one range of the ledger's transfer ids
   * for the whole pass. The ids go to batches by their place in the pass, so they follow the pass
   * order whatever order the batches commit in. A resumed pass reserves a new range: the batches
   * staged before the crash keep the ids they have. Only the close (which holds the gate) takes
   * transfer ids meanwhile.
   */
  async startPass(db: Db, batchSize: number): Promise<void> {
    const order = this.passOrder()
    let firstId = 0
    let firstBatch = 0
    const batches = Math.ceil(order.length / batchSize)
    if (order.length > 0) {
      const [{ last, lastBatch }] = await rows(
        db,
        `select setval('rewards_transfer_id_seq', nextval('rewards_transfer_id_seq') + ?::bigint - 1) as last,
                setval('rewards_transfer_batch_id_seq', nextval('rewards_transfer_batch_id_seq') + ?::int - 1) as "lastBatch"`,
        [order.length * S, batches]
      )
      firstId = Number(last) - order.length * S + 1
      firstBatch = Number(lastBatch) - batches + 1
    }
    const sideDb = (db as Knex.Transaction).isTransaction ? null : (db as Knex)
    await inTransaction(db, (trx) => prepareStaging(trx, this.gen + 1, order.length > 0 ? [firstBatch, firstBatch + batches] : null))
    this.pass = { order, batchSize, firstId, firstBatch, sideDb }
    this.staged = { members: 0, lo: Number.MAX_SAFE_INTEGER, hi: 0, first: Number.MAX_SAFE_INTEGER, last: 0 }
    this.unstaged = new Map()
  }

  /** The pass's batches (after startPass): RewardsStore.streamMemberDays. */
  *memberDayRows(): Iterable<MemberDayRow[]> {
    if (!this.pass) throw new Error("internal: a member pass read before startPass")
    const { order, batchSize } = this.pass
    for (let from = 0; from < order.length; from += batchSize) {
      yield this.batch(order.subarray(from, Math.min(order.length, from + batchSize)), from)
    }
  }

  /** Every member, deepest first, seq order within a depth. */
  private passOrder(): Int32Array {
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
    return order
  }

  /** The rows of members `seqs` (from place `from` of the pass on), and what staging them needs. */
  private batch(seqs: Int32Array, from: number): MemberDayRow[] {
    const n = seqs.length
    const o = this.o
    const s: BatchState = {
      seq: seqs,
      batchId: this.pass!.firstBatch + from / this.pass!.batchSize,
      firstId: this.pass!.firstId + from * S,
      net: new Array(n),
      chunk: new Int32Array(n),
      at: new Int32Array(n),
      len: new Int32Array(n),
      referrer: new Int32Array(n),
      depth: new Int32Array(n),
      exact: new Array(n),
    }
    const out: MemberDayRow[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const seq = seqs[i]
      const member = o.members.get(seq)
      const referrer = member ? member.referrer : this.referrer[seq]
      s.referrer[i] = referrer
      s.depth[i] = member ? member.depth : this.depth[seq]
      if (this.asSnapshot(seq)) {
        const chunk = this.stChunk[seq]
        const v = this.views[chunk]
        const at = this.stAt[seq]
        const len = this.stLen[seq]
        s.chunk[i] = chunk
        s.at[i] = at
        s.len[i] = len
        const count = (len - STATE_TRANCHES) / TRANCHE_BYTES
        const tranches: ReleaseTranche[] = new Array(count)
        for (let t = 0, p = at + STATE_TRANCHES; t < count; t++, p += TRANCHE_BYTES) {
          tranches[t] = { remaining: int8Of(v, p + 4), dailyBase: int8Of(v, p + 12) }
        }
        const netSpend = member ? units(member.net, this.passScale) : this.rescale(int8Of(v, at + STATE_NET))
        if (member || this.factor !== 1n) s.net[i] = netSpend
        out[i] = {
          ref: seq,
          referrerRef: referrer < 0 ? null : referrer,
          quota: int8Of(v, at + 8 * QUOTA),
          weight: int8Of(v, at + 8 * WEIGHT),
          debtCredit: int8Of(v, at + 8 * DEBT_CREDIT),
          debtPoints: int8Of(v, at + 8 * DEBT_POINTS),
          netSpend,
          teamPerformance: this.rescale(int8Of(v, at + STATE_TEAM)),
          starLevel: this.star[seq],
          tranches,
        }
      } else {
        const e = this.exact(seq)
        s.chunk[i] = -1
        s.exact[i] = e
        out[i] = {
          ref: seq,
          referrerRef: referrer < 0 ? null : referrer,
          quota: e.bal[QUOTA],
          weight: e.bal[WEIGHT],
          debtCredit: e.bal[DEBT_CREDIT],
          debtPoints: e.bal[DEBT_POINTS],
          netSpend: e.net,
          teamPerformance: e.team,
          starLevel: e.star,
          tranches: e.trRem.map((remaining, t) => ({ remaining, dailyBase: e.trBase[t] })),
        }
      }
    }
    if (n > 0) this.unstaged.set(seqs[0], s)
    return out
  }

  /** The batch the engine staged as `b` (its members, in pass order). */
  private takeBatch(b: MemberDayBatch): BatchState {
    const s = b.refs.length > 0 ? this.unstaged.get(b.refs[0]) : undefined
    if (!s || s.seq.length !== b.refs.length || !s.seq.every((seq, i) => seq === b.refs[i])) {
      throw new Error(`internal: ${b.key} was not read through this close's stream`)
    }
    this.unstaged.delete(b.refs[0])
    return s
  }

  /**
   * Commit.memberDays: the batch's ledger key, its transfer ids, and every member's row of the next
   * partition (its postings and its state after the day), staged in the partition's own table.
   */
  async stage(trx: Knex.Transaction, b: MemberDayBatch): Promise<void> {
    const s = this.takeBatch(b)
    const [inserted] = await rows(
      trx,
      `insert into rewards_transfer_batch (id, key, day, source, config_version) values (?, ?, ?, ?, ?)
       on conflict (key) where deleted_at is null do nothing returning id`,
      [s.batchId, b.key, b.day, b.source, b.configVersion]
    )
    if (!inserted) throw new DuplicateBatchError(b.key)
    const batchId = s.batchId
    const n = s.seq.length
    // transfer ids: the pass's range, S per member (slot k is id0 + k)
    const firstId = s.firstId
    const table = partitionOf(this.gen + 1)
    const pool = this.pools.pop() ?? []
    const out = new BinaryRows(pool)
    // the day's amounts of one member as numbers (patchable: safe integers)
    const x = new Float64Array(S)
    const outs = new Float64Array(64)
    let trOut = 0
    for (let i = 0; i < n; i++) {
      const at = i * S
      const tranches = s.chunk[i] < 0 ? s.exact[i]!.trRem.length : (s.len[i] - STATE_TRANCHES) / TRANCHE_BYTES
      out.row(DAY_COLUMNS.length)
      out.int4(s.seq[i])
      out.int4(batchId)
      out.int8n(firstId + at)
      if (s.chunk[i] < 0 || tranches > outs.length || !this.patchable(b, i, s, trOut, x, outs)) {
        this.writeExact(out, b, i, s, trOut)
        trOut += tranches
        continue
      }
      for (let k = 0; k < S; k++) {
        if (x[k] === 0) out.null() // no transfer
        else out.int8n(x[k])
      }
      if (s.referrer[i] < 0) out.null()
      else out.int4(s.referrer[i])
      out.int4(s.depth[i])
      out.int2(b.starLevel[i])
      // the state: the snapshot's bytes, with what the day changed written over them
      const p = out.bytesFrom(this.arena[s.chunk[i]], s.at[i], s.len[i])
      const v = out.data
      for (let k = 0; k < S; k++) {
        if (x[k] === 0 || SLOT_SIGN[k] === 0) continue
        const q = p + SLOT_AT[k]
        setNumber(v, q, getNumber(v, q) + SLOT_SIGN[k] * x[k])
      }
      const net = s.net[i]
      if (net !== undefined) v.setBigInt64(p + STATE_NET, net)
      v.setBigInt64(p + STATE_TEAM, b.teamPerformance[i])
      for (let t = 0, q = p + STATE_TRANCHES + 4; t < tranches; t++, q += TRANCHE_BYTES) {
        if (outs[t] !== 0) setNumber(v, q, getNumber(v, q) - outs[t])
      }
      trOut += tranches
      out.null()
    }
    if (trOut !== b.trancheOut.length) throw new Error(`internal: ${b.key} does not match the tranches it was read with`)
    const { client, release } = await clientOf(trx)
    try {
      await copyIn(client, `copy ${table} (${DAY_COLUMNS.join(", ")}) from stdin (format binary)`, out.finish())
    } finally {
      release()
      this.pools.push(pool)
    }
    const staged = this.staged
    staged.members += n
    staged.lo = Math.min(staged.lo, batchId)
    staged.hi = Math.max(staged.hi, batchId)
    staged.first = Math.min(staged.first, firstId)
    staged.last = Math.max(staged.last, firstId + (n - 1) * S)
  }

  /**
   * Whether row i's new state can be written over the snapshot's bytes in safe integers: every
   * amount that moves a balance or a tranche, and every balance or tranche it moves, below 2^52
   * (so every result stays a safe integer), net spend and team performance within ±2^62. Leaves
   * the amounts in `x` and the tranches' outflows in `outs`, as numbers.
   */
  private patchable(b: MemberDayBatch, i: number, s: BatchState, trOut: number, x: Float64Array, outs: Float64Array): boolean {
    const net = s.net[i] === undefined ? 0 : Number(s.net[i])
    const team = Number(b.teamPerformance[i])
    if (!(net < BOUND && net > -BOUND && team < BOUND && team > -BOUND)) return false
    const v = this.views[s.chunk[i]]
    const base = s.at[i]
    const at = i * S
    x.fill(0)
    // only the slots the member moves (MemberDayBatch.slots)
    for (let used = b.slots[i], k = 0; used !== 0; used >>>= 1, k++) {
      if ((used & 1) === 0) continue
      const amount = Number(b.amounts[at + k])
      x[k] = amount
      if (amount >= LIMIT) return false
      if (SLOT_SIGN[k] !== 0 && !small(v, base + SLOT_AT[k])) return false
    }
    const tranches = (s.len[i] - STATE_TRANCHES) / TRANCHE_BYTES
    for (let t = 0; t < tranches; t++) {
      const left = Number(b.trancheOut[trOut + t])
      outs[t] = left
      if (left !== 0 && (left >= LIMIT || !small(v, base + STATE_TRANCHES + TRANCHE_BYTES * t + 4))) return false
    }
    return true
  }

  /** Row i from its exact state: an int8 `state` when everything fits, else `wide`. */
  private writeExact(out: BinaryRows, b: MemberDayBatch, i: number, s: BatchState, trOut: number): void {
    const e = s.exact[i] ?? this.exact(s.seq[i])
    const at = i * S
    const bal = [...e.bal]
    for (let k = 0; k < S; k++) {
      const amount = b.amounts[at + k]
      if (SLOT_SIGN[k] !== 0) bal[SLOT_ASSET[k]] += SLOT_SIGN[k] > 0 ? amount : -amount
    }
    const rem = e.trRem.map((r, t) => r - b.trancheOut[trOut + t])
    const net = e.net
    const team = b.teamPerformance[i]
    const amounts = b.amounts.slice(at, at + S)
    const fits = [...amounts, ...bal, net, team, ...rem, ...e.trBase].every(fitsInt8)
    for (const amount of amounts) {
      if (fits && amount !== 0n) out.int8(amount)
      else out.null() // no transfer, or in `wide`
    }
    if (s.referrer[i] < 0) out.null()
    else out.int4(s.referrer[i])
    out.int4(s.depth[i])
    out.int2(b.starLevel[i])
    if (fits) {
      const p = out.bytes(STATE_TRANCHES + TRANCHE_BYTES * rem.length)
      const v = out.data
      for (let a = 0; a < A; a++) v.setBigInt64(p + 8 * a, bal[a])
      v.setBigInt64(p + STATE_NET, net)
      v.setBigInt64(p + STATE_TEAM, team)
      for (let t = 0, q = p + STATE_TRANCHES; t < rem.length; t++, q += TRANCHE_BYTES) {
        v.setInt32(q, e.trSeq[t])
        v.setBigInt64(q + 4, rem[t])
        v.setBigInt64(q + 12, e.trBase[t])
      }
      out.null()
    } else {
      out.null()
      const tranches: bigint[] = []
      for (let t = 0; t < rem.length; t++) tranches.push(BigInt(e.trSeq[t]), rem[t], e.trBase[t])
      out.numericArray([...amounts, ...bal, net, team, ...tranches])
    }
  }

  /**
   * Commit.publishMemberDays: the staged table becomes the current snapshot's partition; the
   * journal starts again; the system accounts take the other side of every posting.
   */
  async publish(trx: Knex.Transaction, day: string, slotTotals: readonly bigint[]): Promise<void> {
    const gen = this.gen + 1
    const table = partitionOf(gen)
    const pass = this.pass
    // a staging table other connections see gets its indexes built side by side, each in a
    // transaction of its own, before the publish's transaction touches the table: nobody else
    // reads it, and a publish that fails after them leaves indexes the next publish keeps
    if (pass?.sideDb && pass.order.length > 0) await buildIndexes(pass.sideDb, table, true)
    await syncSlots(trx)
    await trx.raw(`create table if not exists ${table} (like rewards_member_day)`)
    const staged = this.staged
    const [range] =
      staged.members > 0 && staged.members === pass?.order.length
        ? [{ lo: staged.lo, hi: staged.hi, first: String(staged.first), last: String(staged.last), n: staged.members }]
        : await rows(
            trx,
            `select min(batch_id) as lo, max(batch_id) as hi, min(id0)::text as first, max(id0)::text as last, count(*)::int as n from ${table}`
          )
    if (range.n > 0) {
      if (!pass?.sideDb || pass.order.length === 0) await buildIndexes(trx, table, false)
      // a table created by its pass holds a check of the pass's batch range, which implies the
      // partition's bounds: the attach then does not scan the table to prove them
      await trx.raw(`alter table rewards_member_day attach partition ${table} for values from (${range.lo}) to (${range.hi + 1})`)
      await trx.raw(`alter table ${table} reset (autovacuum_enabled)`)
      await trx.raw(
        `insert into rewards_snapshot (gen, day, batch_from, batch_to, first_id, last_id, amount_scale, members)
         values (?, ?, ?, ?, ?, ?, ?, ?)`,
        [gen, day, range.lo, range.hi + 1, range.first, range.last, this.passScale, range.n]
      )
      await trx.raw(`create or replace view rewards_member_state as select * from ${table}`)
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

/** Amounts the fast path takes (their Number is exact and sums of them stay safe integers). */
const LIMIT = 2 ** 52
/** Net spend and team performance the fast path writes as int8 (well inside ±2^63 even rounded). */
const BOUND = 2 ** 62

/** The int8 at byte `at` as a number (exact when its magnitude is below 2^53). */
function getNumber(v: DataView, at: number): number {
  return v.getInt32(at) * 4294967296 + v.getUint32(at + 4)
}

/**
 * The int8 at byte `at`. Zero, which most balances of most members are, is the one shared 0n:
 * no bigint is allocated for it (the pass reads several million of them).
 */
function int8Of(v: DataView, at: number): bigint {
  return v.getInt32(at) === 0 && v.getInt32(at + 4) === 0 ? 0n : v.getBigInt64(at)
}

/** Whether the int8 at byte `at` is within ±2^52. */
function small(v: DataView, at: number): boolean {
  const hi = v.getInt32(at)
  return hi >= -0x100000 && hi < 0x100000
}

/** A safe integer as a big-endian int8. */
function setNumber(v: DataView, at: number, x: number): void {
  v.setInt32(at, Math.floor(x / 4294967296))
  v.setUint32(at + 4, x >>> 0)
}
const MAX8 = INT64_MAX
const MIN8 = INT64_MIN

function fitsInt8(v: bigint): boolean {
  return v <= MAX8 && v > MIN8
}

/** `fn` in `db`'s transaction, or in one of its own. */
async function inTransaction(db: Db, fn: (trx: Knex.Transaction) => Promise<void>): Promise<void> {
  if ((db as Knex.Transaction).isTransaction) return fn(db as Knex.Transaction)
  await (db as Knex).transaction(fn)
}

/**
 * The staging table of snapshot generation `gen` (the current one + 1), ready for a close's rows:
 * created if missing, with a check that its rows carry the pass's reserved batch ids `batches`
 * ([first, end)); kept with the rows of the close's batches staged before a crash, and then
 * without that check (a resumed pass reserved other ids). What can only be left over from a
 * database whose rewards tables were emptied by hand (a test resetting them; generations start
 * again at 1) is cleared: a table of that name attached as a partition (a published one always
 * has gen ≤ the current generation), and staged rows whose batch no longer exists.
 */

async function prepareStaging(trx: Knex.Transaction, gen: number, batches: [number, number] | null): Promise<void> {
  const table = partitionOf(gen)
  const [found] = await rows(
    trx,
    `select c.oid is not null as present, exists (select 1 from pg_inherits i where i.inhrelid = c.oid) as attached
       from (select to_regclass(?) as oid) r left join pg_class c on c.oid = r.oid`,
    [table]
  )
  if (found.present && found.attached) {
    // the current snapshot's view may read it: point the view at the current snapshot first
    const current = gen > 1 ? partitionOf(gen - 1) : null
    const [exists] = current ? await rows(trx, `select to_regclass(?) is not null as ok`, [current]) : [{ ok: false }]
    await trx.raw(`create or replace view rewards_member_state as select * from ${exists.ok ? current : "rewards_member_day where false"}`)
    await trx.raw(`drop table ${table}`)
  } else if (found.present) {
    await trx.raw(`delete from ${table} s where not exists (select 1 from rewards_transfer_batch b where b.id = s.batch_id)`)
    // it holds rows of an earlier pass, outside this pass's batch range: the attach proves the bounds
    await trx.raw(`alter table ${table} drop constraint if exists ${table}_batches`)
    return
  }
  // autovacuum stays off the table while it fills: an autovacuum that started on it would hold the
  // publish's primary-key build for deadlock_timeout before giving way. Its rows are the pass's
  // batches (reserved ids): checked from the start, so the publish's attach needs no scan to prove
  // the partition's bounds.
  const check = batches ? `, constraint ${table}_batches check (batch_id >= ${batches[0]} and batch_id < ${batches[1]})` : ""
  await trx.raw(`create table ${table} (like rewards_member_day${check}) with (autovacuum_enabled = false)`)
}

/**
 * The staging table's primary key (seq) and its BRIN index on the first transfer id, those it
 * lacks. `side`: built side by side, each in a transaction of its own on `db`; else one after
 * the other in `db` (the publish's transaction).
 */
async function buildIndexes(db: Db, table: string, side: boolean): Promise<void> {
  const [has] = await rows(
    db,
    `select exists (select 1 from pg_constraint where conrelid = to_regclass(?) and contype = 'p') as pk, to_regclass(?) is not null as brin`,
    [table, `${table}_id0_idx`]
  )
  const builds: string[] = []
  if (!has.pk) builds.push(`alter table ${table} add constraint ${table}_pkey primary key (seq)`)
  // its rows lie in transfer id order, but for neighbouring batches staged side by side: a BRIN
  // index finds a window of ids (ledger-read.ts)
  if (!has.brin) builds.push(`create index ${table}_id0_idx on ${table} using brin (id0) with (pages_per_range = 8)`)
  const build = async (trx: Knex.Transaction, sql: string) => {
    await trx.raw(`set local maintenance_work_mem = '256MB'`)
    await trx.raw(sql)
  }
  if (side) {
    // both end before the publish goes on, also when one of them fails
    const failed = (await Promise.allSettled(builds.map((sql) => (db as Knex).transaction((trx) => build(trx, sql))))).find(
      (r) => r.status === "rejected"
    )
    if (failed) throw failed.reason
    return
  }
  await inTransaction(db, async (trx) => {
    for (const sql of builds) await build(trx, sql)
  })
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

/**
 * A member's snapshot row as an operation reads it: its balances (MEMBER_ASSETS order) and its
 * tranches' locked points by tranche seq, from `state` (bytea) or, for a row beyond int8, `wide`
 * (numeric[] as text). Null: no snapshot row.
 */
export function decodeState(state: Buffer | null, wide: string | null): { bal: bigint[]; tranches: Map<number, bigint> } | null {
  if (state) {
    const v = new DataView(state.buffer, state.byteOffset, state.length)
    const bal = Array.from({ length: A }, (_, a) => v.getBigInt64(8 * a))
    const tranches = new Map<number, bigint>()
    for (let p = STATE_TRANCHES; p + TRANCHE_BYTES <= state.length; p += TRANCHE_BYTES) tranches.set(v.getInt32(p), v.getBigInt64(p + 4))
    return { bal, tranches }
  }
  if (wide) {
    const w = wide.replace(/[{}]/g, "").split(",").map(wholeNumber)
    const tranches = new Map<number, bigint>()
    for (let t = WIDE_TRANCHES; t + 2 < w.length; t += 3) tranches.set(Number(w[t]), w[t + 1])
    return { bal: w.slice(S, S + A), tranches }
  }
  return null
}
