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
import { BigColumn, INT64_MAX, INT64_MIN, growInt32 } from "../../engine/columns"
import { Dec } from "../../engine/decimal"
import { DAY_SLOTS, MEMBER, MEMBER_ASSETS, type MemberAsset } from "../../engine/ledger"
import { type BalanceRow, DuplicateBatchError, type MemberDayBatch, type MemberDayRow, type ReleaseTranche } from "../../engine/store"
import {
  type BinaryRow,
  BinaryRows,
  type PgClient,
  copyIn,
  copyOut,
  int2At,
  int4ArrayAt,
  int4At,
  int8ArrayAt,
  int8At,
  isNull,
  numericArrayAt,
} from "./copy"

type Db = Knex | Knex.Transaction
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

const DAY_COLUMNS = [
  "seq",
  "batch_id",
  "id0",
  ...DAY_SLOTS.map((_, k) => `p${k}`),
  ...BALANCE_COLUMNS,
  "referrer_seq",
  "depth",
  "net",
  "team",
  "star",
  "tr_seq",
  "tr_rem",
  "tr_base",
  "wide",
  "wide_tr_rem",
  "wide_tr_base",
]

const SNAPSHOT_COLUMNS = ["seq", "referrer_seq", "depth", "net", "team", "star", ...BALANCE_COLUMNS, "tr_seq", "tr_rem", "tr_base", "wide", "wide_tr_rem", "wide_tr_base"]

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

/** A member's tranches as the pass sees them: oldest first. */
interface TrancheList {
  seq: number[]
  remaining: bigint[]
  dailyBase: bigint[]
}

/** What operations changed since the snapshot (read again at every stream). */
interface Overlay {
  members: Map<number, { referrer: number; depth: number; net: string }>
  tranches: Map<number, TrancheList>
  journal: Map<number, bigint[]>
  /** Largest member seq. */
  maxSeq: number
}

/**
 * The member state a day close reads: the current snapshot, in columns indexed by member seq.
 * Loaded once per close (per snapshot generation); never changed while the close runs.
 */
export class DayCloseState {
  present: Uint8Array = new Uint8Array(0)
  referrer: Int32Array = new Int32Array(0)
  depth: Int32Array = new Int32Array(0)
  star: Int8Array = new Int8Array(0)
  readonly net = new BigColumn()
  readonly team = new BigColumn()
  readonly balances = new BigColumn()
  /** Tranches of member i: trSeq/trRem/trBase[trFirst[i] … trFirst[i] + trCount[i]). */
  trFirst: Int32Array = new Int32Array(0)
  trCount: Int32Array = new Int32Array(0)
  trSeq: Int32Array = new Int32Array(1024)
  readonly trRem = new BigColumn()
  readonly trBase = new BigColumn()
  private trN = 0
  private overlay: Overlay | null = null
  /** Decimals of net and team in the snapshot, and the pass's (≥ it; set by amountScale()). */
  private scale = 0
  private passScale = 0

  private constructor(
    readonly gen: number,
    private readonly snapshotScale: number
  ) {
    this.scale = snapshotScale
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
  }

  private async readSnapshot(db: Knex): Promise<void> {
    const { client, release } = await clientOf(db)
    const seqs: number[] = []
    const rems: bigint[] = []
    const bases: bigint[] = []
    const wide: bigint[] = []
    try {
      await copyOut(
        client,
        `copy (select ${SNAPSHOT_COLUMNS.join(", ")} from ${partitionOf(this.gen)}) to stdout (format binary)`,
        (r: BinaryRow) => {
          const seq = int4At(r, 0)
          if (seq >= this.present.length) this.grow(seq + 1)
          this.present[seq] = 1
          this.referrer[seq] = isNull(r, 1) ? -1 : int4At(r, 1)
          this.depth[seq] = int4At(r, 2)
          this.star[seq] = int2At(r, 5)
          seqs.length = 0
          rems.length = 0
          bases.length = 0
          int4ArrayAt(r, 6 + A, seqs)
          const isWide = !isNull(r, 9 + A)
          if (isWide) {
            wide.length = 0
            numericArrayAt(r, 9 + A, wide)
            this.net.set(seq, wide[WIDE_NET])
            this.team.set(seq, wide[WIDE_TEAM])
            for (let a = 0; a < A; a++) this.balances.set(seq * A + a, wide[S + a])
            numericArrayAt(r, 10 + A, rems)
            numericArrayAt(r, 11 + A, bases)
          } else {
            this.net.set(seq, int8At(r, 3))
            this.team.set(seq, int8At(r, 4))
            for (let a = 0; a < A; a++) this.balances.set(seq * A + a, int8At(r, 6 + a))
            int8ArrayAt(r, 7 + A, rems)
            int8ArrayAt(r, 8 + A, bases)
          }
          this.trFirst[seq] = this.trN
          this.trCount[seq] = seqs.length
          this.trSeq = growInt32(this.trSeq, this.trN + seqs.length)
          for (let t = 0; t < seqs.length; t++) {
            this.trSeq[this.trN] = seqs[t]
            this.trRem.set(this.trN, rems[t])
            this.trBase.set(this.trN, bases[t])
            this.trN++
          }
        }
      )
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

  has(seq: number): boolean {
    return this.present[seq] === 1 || this.o.members.has(seq)
  }

  private rescale(v: bigint): bigint {
    return this.passScale === this.snapshotScale ? v : v * 10n ** BigInt(this.passScale - this.snapshotScale)
  }

  balance(seq: number, asset: number): bigint {
    const base = this.present[seq] === 1 ? this.balances.get(seq * A + asset) : 0n
    const j = this.o.journal.get(seq)
    return j ? base + j[asset] : base
  }

  referrerOf(seq: number): number {
    const m = this.o.members.get(seq)
    return m ? m.referrer : this.referrer[seq]
  }

  depthOf(seq: number): number {
    const m = this.o.members.get(seq)
    return m ? m.depth : this.depth[seq]
  }

  netOf(seq: number): bigint {
    const m = this.o.members.get(seq)
    return m ? units(m.net, this.passScale) : this.rescale(this.net.get(seq))
  }

  teamOf(seq: number): bigint {
    return this.present[seq] === 1 ? this.rescale(this.team.get(seq)) : 0n
  }

  starOf(seq: number): number {
    return this.present[seq] === 1 ? this.star[seq] : 0
  }

  /** The member's tranches now: the snapshot's, with what operations wrote since in place (and new ones). */
  tranchesOf(seq: number): TrancheList {
    const list: TrancheList = { seq: [], remaining: [], dailyBase: [] }
    if (this.present[seq] === 1) {
      const from = this.trFirst[seq]
      for (let t = from; t < from + this.trCount[seq]; t++) {
        list.seq.push(this.trSeq[t])
        list.remaining.push(this.trRem.get(t))
        list.dailyBase.push(this.trBase.get(t))
      }
    }
    const changed = this.o.tranches.get(seq)
    if (!changed) return list
    for (let k = 0; k < changed.seq.length; k++) {
      const at = list.seq.indexOf(changed.seq[k])
      if (at >= 0) {
        list.remaining[at] = changed.remaining[k]
        list.dailyBase[at] = changed.dailyBase[k]
      } else {
        let i = list.seq.length
        while (i > 0 && list.seq[i - 1] > changed.seq[k]) i--
        list.seq.splice(i, 0, changed.seq[k])
        list.remaining.splice(i, 0, changed.remaining[k])
        list.dailyBase.splice(i, 0, changed.dailyBase[k])
      }
    }
    return list
  }

  /** Every member's balances of `assets`, in seq order (RewardsStore.streamBalances). */
  *balanceRows(assets: readonly MemberAsset[], batchSize: number): Iterable<BalanceRow[]> {
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
    const [quota, weight, debtCredit, debtPoints] = (["QUOTA", "WEIGHT", "DEBT_CREDIT", "DEBT_POINTS"] as const).map((a) => ASSET_INDEX.get(a)!)
    for (let from = 0; from < count; from += batchSize) {
      const batch: MemberDayRow[] = []
      for (let k = from; k < Math.min(count, from + batchSize); k++) {
        const seq = order[k]
        const list = this.tranchesOf(seq)
        const tranches: ReleaseTranche[] = list.seq.map((_, t) => ({ remaining: list.remaining[t], dailyBase: list.dailyBase[t] }))
        const referrer = this.referrerOf(seq)
        batch.push({
          ref: seq,
          referrerRef: referrer < 0 ? null : referrer,
          quota: this.balance(seq, quota),
          weight: this.balance(seq, weight),
          debtCredit: this.balance(seq, debtCredit),
          debtPoints: this.balance(seq, debtPoints),
          netSpend: this.netOf(seq),
          teamPerformance: this.teamOf(seq),
          starLevel: this.starOf(seq),
          tranches,
        })
      }
      yield batch
    }
  }

  /**
   * Commit.memberDays: the batch's ledger key, its transfer ids, and every member's row of the next
   * partition (its postings and its state after the day), staged in the partition's own table.
   */
  async stage(trx: Knex.Transaction, b: MemberDayBatch): Promise<void> {
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
    const firstId = BigInt(last) - BigInt(n * S) + 1n
    const table = partitionOf(this.gen + 1)
    await trx.raw(`create table if not exists ${table} (like rewards_member_day)`)
    const out = new BinaryRows()
    const balances = new Array<bigint>(A)
    let trOut = 0
    for (let i = 0; i < n; i++) {
      const seq = b.rows[i].ref
      for (let a = 0; a < A; a++) balances[a] = this.balance(seq, a)
      const at = i * S
      for (let k = 0; k < S; k++) {
        const amount = b.amounts[at + k]
        if (amount === 0n) continue
        const slot = DAY_SLOTS[k]
        if (slot.debit === MEMBER) balances[ASSET_INDEX.get(slot.asset)!] -= amount
        if (slot.credit === MEMBER) balances[ASSET_INDEX.get(slot.asset)!] += amount
      }
      const list = this.tranchesOf(seq)
      const remaining = list.remaining.map((r) => r - b.trancheOut[trOut++])
      const net = this.netOf(seq)
      const team = b.teamPerformance[i]
      const referrer = this.referrerOf(seq)
      const scalars: bigint[] = [...b.amounts.slice(at, at + S), ...balances, net, team]
      const wide = !fitsInt8(scalars) || !fitsInt8(remaining) || !fitsInt8(list.dailyBase)
      out.row(DAY_COLUMNS.length)
      out.int4(seq)
      out.int4(batchId)
      out.int8(firstId + BigInt(at))
      for (let k = 0; k < S + A; k++) {
        if (wide) out.null()
        else out.int8(scalars[k])
      }
      if (referrer < 0) out.null()
      else out.int4(referrer)
      out.int4(this.depthOf(seq))
      if (wide) {
        out.null()
        out.null()
      } else {
        out.int8(net)
        out.int8(team)
      }
      out.int2(b.starLevel[i])
      out.int4Array(list.seq)
      if (wide) {
        out.null()
        out.null()
        out.numericArray(scalars)
        out.numericArray(remaining)
        out.numericArray(list.dailyBase)
      } else {
        out.int8Array(remaining)
        out.int8Array(list.dailyBase)
        out.null()
        out.null()
        out.null()
      }
    }
    if (trOut !== b.trancheOut.length) throw new Error(`internal: ${b.key} does not match the tranches it was read with`)
    const { client, release } = await clientOf(trx)
    try {
      await copyIn(client, `copy ${table} (${DAY_COLUMNS.join(", ")}) from stdin (format binary)`, out.finish())
    } finally {
      release()
    }
  }

  /**
   * Commit.publishMemberDays: the staged table becomes the current snapshot's partition; the
   * journal starts again; the system accounts take the other side of every posting.
   */
  async publish(trx: Knex.Transaction, day: string, slotTotals: readonly bigint[]): Promise<void> {
    await syncSlots(trx)
    const gen = this.gen + 1
    const table = partitionOf(gen)
    await trx.raw(`create table if not exists ${table} (like rewards_member_day)`)
    const [range] = await rows(trx, `select min(batch_id) as lo, max(batch_id) as hi, count(*)::int as n from ${table}`)
    if (range.n > 0) {
      await trx.raw(`set local maintenance_work_mem = '256MB'`)
      await trx.raw(`alter table ${table} add primary key (seq)`)
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

function fitsInt8(values: readonly bigint[]): boolean {
  for (const v of values) if (v > INT64_MAX || v <= INT64_MIN) return false
  return true
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
