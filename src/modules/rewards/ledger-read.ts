/**
 * The ledger as readers see it: the operations' transfers (`rewards_transfer`) and the day
 * closes' postings (`rewards_member_day`, each amount of a DAY_SLOTS slot one transfer) as one
 * list, newest first. Transfer ids come from one sequence in commit order (a close reserves its
 * postings' ids while no other writer runs), so a transfer id is a keyset cursor for both.
 * Shared by the storefront's member history and the admin's ledger explorer.
 *
 * Index use: a member's operation transfers by the member-account index; its postings by each
 * day partition's primary key (seq). Postings of a day or of the whole ledger are read newest
 * first in windows of transfer ids (a partition's rows lie in id order, but for neighbouring
 * batches committed side by side, and its BRIN index on `id0` finds a window's blocks).
 */
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { DAY_SLOTS, MEMBER } from "../../engine/ledger"

type Row = Record<string, any>

async function rows(db: Knex, sql: string, bindings: readonly unknown[] = []): Promise<Row[]> {
  return (await db.raw(sql, bindings as Knex.RawBinding[])).rows as Row[]
}

const S = DAY_SLOTS.length

/** A posting row's slot amounts as (slot, amount) rows: the int8 columns, or `wide` (too large for int8). */
export const POSTING_SLOTS_SQL = `cross join lateral (values ${DAY_SLOTS.map((_, k) => `(${k}, coalesce(d.p${k}::numeric, d.wide[${k + 1}]))`).join(", ")}) v(slot, amount)`

export interface LedgerQuery {
  /** A member's transfers: its account on either side. */
  member?: { customerId: string; seq: number }
  asset?: string
  reason?: string
  /** A business day's batches (strict day order keeps them contiguous). */
  day?: { day: string; lo: number; hi: number }
  /** Exact batches (an order's award and refunds): operations only, never postings. */
  batchIds?: number[]
  /** Transfers with a smaller id only (the previous page's last id). */
  before?: string | null
  limit: number
}

export interface LedgerTransfer {
  id: string
  batchId: number
  day: string
  asset: string
  debit: string
  credit: string
  amount: string
  reason: string
  createdAt: Date
  key: string
  source: string
  configVersion: number
}

/** The member side of a transfer (a transfer has at most one), as the member index has it. */
const MEMBER_SIDE = `(case when t.debit like 'm:%' then t.debit else t.credit end) collate "C"`
const HAS_MEMBER_SIDE = `(t.debit like 'm:%' or t.credit like 'm:%')`

/** Up to `q.limit` transfers, newest first. */
export async function ledgerPage(knex: Knex, q: LedgerQuery): Promise<LedgerTransfer[]> {
  const [ops, postings] = await Promise.all([operationTransfers(knex, q), postingTransfers(knex, q)])
  const all = [...ops, ...postings].sort((a, b) => {
    const x = BigInt(a.id)
    const y = BigInt(b.id)
    return x > y ? -1 : x < y ? 1 : 0
  })
  return all.slice(0, q.limit)
}

async function operationTransfers(knex: Knex, q: LedgerQuery): Promise<LedgerTransfer[]> {
  const where = [`t.deleted_at is null`]
  const bind: unknown[] = []
  if (q.member) {
    where.push(`${MEMBER_SIDE} = ?`, HAS_MEMBER_SIDE)
    bind.push(`m:${q.member.customerId}`)
  }
  if (q.asset) {
    where.push(`t.asset = ?`)
    bind.push(q.asset)
  }
  if (q.reason) {
    where.push(`t.reason = ?`)
    bind.push(q.reason)
  }
  if (q.day) {
    where.push(`t.batch_id between ? and ?`, `t.day = ?`)
    bind.push(q.day.lo, q.day.hi, q.day.day)
  }
  if (q.batchIds) {
    where.push(`t.batch_id = any(?::int[])`)
    bind.push(q.batchIds)
  }
  if (q.before) {
    where.push(`t.id < ?`)
    bind.push(q.before)
  }
  const list = await rows(
    knex,
    `select t.id::text as id, t.batch_id, t.day, t.asset, t.debit, t.credit, t.amount::text as amount, t.reason,
            t.created_at, b.key, b.source, b.config_version
       from rewards_transfer t
       join rewards_transfer_batch b on b.id = t.batch_id
      where ${where.join(" and ")}
      order by t.id desc
      limit ?`,
    [...bind, q.limit]
  )
  return list.map((r) => ({
    id: r.id,
    batchId: r.batch_id,
    day: r.day,
    asset: r.asset,
    debit: r.debit,
    credit: r.credit,
    amount: r.amount,
    reason: r.reason,
    createdAt: r.created_at,
    key: r.key,
    source: r.source,
    configVersion: r.config_version,
  }))
}

/** The slots a filter keeps (asset and reason), or null when none. */
function slotsOf(q: LedgerQuery): number[] | null {
  const slots = DAY_SLOTS.map((_, k) => k).filter((k) => (!q.asset || DAY_SLOTS[k].asset === q.asset) && (!q.reason || DAY_SLOTS[k].reason === q.reason))
  return slots.length > 0 ? slots : null
}

async function postingTransfers(knex: Knex, q: LedgerQuery): Promise<LedgerTransfer[]> {
  const slots = slotsOf(q)
  if (!slots || q.batchIds) return []
  const before = q.before ? BigInt(q.before) : null
  const found: { id: bigint; batchId: number; seq: number; slot: number; amount: string }[] = []
  const select = (extra: string) =>
    `select (d.id0 + v.slot)::text as id, d.batch_id, d.seq, v.slot, v.amount::text as amount
       from rewards_member_day d ${POSTING_SLOTS_SQL}
      where v.amount <> 0 and v.slot = any(?::int[]) ${extra}
      order by d.id0 + v.slot desc
      limit ?`
  const take = (list: Row[]) => {
    for (const r of list) found.push({ id: BigInt(r.id), batchId: r.batch_id, seq: r.seq, slot: r.slot, amount: r.amount })
  }
  if (q.member) {
    // one row per day partition at most: the partitions' primary keys
    take(await rows(knex, select(`and d.seq = ? ${before !== null ? "and d.id0 + v.slot < ?" : ""}`), [
      slots,
      q.member.seq,
      ...(before !== null ? [before.toString()] : []),
      q.limit,
    ]))
  } else {
    // newest partition first, in windows of transfer ids
    const parts = await rows(
      knex,
      `select batch_from, batch_to, first_id::text as first_id, last_id::text as last_id from rewards_snapshot
        where ${q.day ? "batch_to > ? and batch_from <= ? and" : ""} true order by gen desc`,
      q.day ? [q.day.lo, q.day.hi] : []
    )
    for (const p of parts) {
      let hi = BigInt(p.last_id) + BigInt(S)
      if (before !== null && before < hi) hi = before
      const floor = BigInt(p.first_id)
      let window = BigInt((q.limit + 1) * S * 2)
      while (hi > floor && found.length < q.limit) {
        const lo = hi - window > floor ? hi - window : floor
        const batchRange = q.day ? `and d.batch_id between ${q.day.lo} and ${q.day.hi}` : ""
        take(
          await rows(
            knex,
            select(`and d.batch_id >= ? and d.batch_id < ? and d.id0 >= ? and d.id0 < ? and d.id0 + v.slot < ? ${batchRange}`),
            [slots, p.batch_from, p.batch_to, (lo - BigInt(S)).toString(), hi.toString(), hi.toString(), q.limit - found.length]
          ).then((list) => list.filter((r) => BigInt(r.id) >= lo))
        )
        hi = lo
        window *= 2n
      }
      if (found.length >= q.limit) break
    }
  }
  if (found.length === 0) return []
  const batches = new Map(
    (await rows(knex, `select id, key, day, source, config_version, created_at from rewards_transfer_batch where id = any(?::int[])`, [
      [...new Set(found.map((f) => f.batchId))],
    ])).map((b) => [b.id as number, b])
  )
  const members = q.member
    ? new Map([[q.member.seq, q.member.customerId]])
    : new Map(
        (await rows(knex, `select seq, customer_id from rewards_member where seq = any(?::int[])`, [[...new Set(found.map((f) => f.seq))]])).map(
          (m) => [m.seq as number, m.customer_id as string]
        )
      )
  return found.map((f) => {
    const slot = DAY_SLOTS[f.slot]
    const b = batches.get(f.batchId)!
    const account = `m:${members.get(f.seq)}`
    return {
      id: f.id.toString(),
      batchId: f.batchId,
      day: b.day,
      asset: slot.asset,
      debit: slot.debit === MEMBER ? account : slot.debit,
      credit: slot.credit === MEMBER ? account : slot.credit,
      amount: f.amount,
      reason: slot.reason,
      createdAt: b.created_at,
      key: b.key,
      source: b.source,
      configVersion: b.config_version,
    }
  })
}

/**
 * Σ of the transfers with these reasons, operations and postings together (the whole ledger:
 * every day partition is read; for summaries, not for a request path).
 */
export async function reasonTotal(knex: Knex, reasons: string[]): Promise<bigint> {
  const [ops] = await rows(knex, `select coalesce(sum(amount), 0)::text as total from rewards_transfer where reason = any(?::text[]) and deleted_at is null`, [reasons])
  const slots = DAY_SLOTS.map((s, k) => (reasons.includes(s.reason) ? k : -1)).filter((k) => k >= 0)
  if (slots.length === 0) return BigInt(ops.total)
  const [days] = await rows(
    knex,
    `select coalesce(sum(${slots.map((k) => `coalesce(d.p${k}::numeric, d.wide[${k + 1}], 0)`).join(" + ")}), 0)::text as total from rewards_member_day d`
  )
  return BigInt(ops.total) + BigInt(days.total)
}
