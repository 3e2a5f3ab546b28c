/**
 * The engine's storage interface (src/engine/store.ts) on PostgreSQL, over the rewards
 * module's tables. The engine decides every amount; this file only keeps state.
 *
 * - One business operation = one transaction. Every write transaction locks the program
 *   row first (`FOR UPDATE`), so writers queue in one fixed order: no lost update, no
 *   deadlock. Balance rows are then upserted sorted by (account, asset).
 * - Idempotency lives in the database: a batch key is unique (`rewards_transfer_batch.key`),
 *   so a repeated cause pays nothing twice even when two processes race (the second waits
 *   on the unique index, then finds the key taken and gets {@link DuplicateBatchError}).
 * - Amounts of the ledger (transfers, balances, tranche points, grants) are integers of
 *   10^-scale ("atoms") in `numeric` columns; eligible amounts and net spend are exact
 *   decimals. DML's `bigNumber` keeps a `raw_<column>` jsonb next to each numeric, written
 *   here in step with it.
 * - The day close's member pass lives in member-days.ts: one row per member and day in a
 *   partition of `rewards_member_day` (its postings and its state after the close). Between two
 *   closes an operation reads that snapshot plus what operations changed since: member balance
 *   changes in `rewards_member_balance`, member and tranche rows stamped with the snapshot
 *   generation they were written in (`gen`). The views of Migration20261203070000 do the same.
 * - A close runs while every other writer waits (`exclusive`): writers take the advisory lock
 *   {@link CLOSE_GATE} shared before the program lock, the close holds it exclusively.
 */
import { randomBytes } from "node:crypto"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { generateEntityId } from "@medusajs/framework/utils"
import { Dec } from "../../engine/decimal"
import { type Asset, DAY_SLOTS, MEMBER_ASSETS, type MemberAsset, SYSTEM, isMemberAccount } from "../../engine/ledger"
import { emptyBalances } from "../../engine/op"
import {
  type BalanceBatch,
  type Commit,
  type CycleAggregates,
  type DayReport,
  type DayRun,
  DuplicateBatchError,
  type MemberBalances,
  type MemberDayRow,
  type MemberRecord,
  type OrderRecord,
  type ProgramState,
  type RewardsStore,
  type StoreTx,
  type TrancheRecord,
} from "../../engine/store"
import type { TransferBatch } from "../../engine/ledger"
import { DayCloseState, decodeState, partitionOf } from "./member-days"

type Row = Record<string, any>

async function rows(db: Knex | Knex.Transaction, sql: string, bindings: readonly unknown[] = []): Promise<Row[]> {
  const result = await db.raw(sql, bindings as Knex.RawBinding[])
  return result.rows as Row[]
}

/** The jsonb twin DML's `bigNumber` keeps next to a numeric column, as SQL. */
const RAW = (expr: string) => `jsonb_build_object('value', (${expr})::text, 'precision', 20)`

const LIVE = "deleted_at is null"

/**
 * Ids for the rows of one statement: one ULID (Medusa's id shape) plus the row's position.
 * A ULID per row costs crypto randomness per character, which dominated bulk writes.
 */
function rowIds(prefix: string, n: number): string[] {
  const base = generateEntityId(undefined, prefix)
  return Array.from({ length: n }, (_, i) => `${base}${i.toString(36)}`)
}


/**
 * The advisory lock of a day close (RewardsStore.exclusive): every other writer takes it shared,
 * before the program lock, in the same round trip; the close holds it exclusively.
 */
export const CLOSE_GATE = "hashtext('medusa-rewards:day-close')"

/** Statements that take the program lock: the close gate (shared), then the program row `for update`. */
export function lockingProgram(columns: string, gate = true): string {
  return `${gate ? `select pg_advisory_xact_lock_shared(${CLOSE_GATE}); ` : ""}select ${columns} from rewards_program where ${LIVE} for update`
}

/** The rows of the last statement of a raw query (a lock statement may precede it). */
export function lastRows(result: any): Row[] {
  return (Array.isArray(result) ? result[result.length - 1] : result).rows as Row[]
}

export class PostgresRewardsStore implements RewardsStore {
  /** What the current close reads (member-days.ts), kept from its first stream to its publish. */
  private closeState: DayCloseState | null = null
  /** Set while this store's own close holds the gate: its transactions do not take it again. */
  private closing = false

  /**
   * @param db the module's knex (its own connection pool), or an open transaction: a store
   *   bound to a transaction runs each unit of work inside it (the caller already holds the
   *   program lock and decides when to commit).
   * @param program a bound store's copy of the program row, read under the caller's lock
   */
  constructor(
    private readonly db: Knex | Knex.Transaction,
    private readonly bound = false,
    private program: ProgramState | null = null
  ) {}

  /**
   * A store whose units of work run in `trx`, whose program lock the caller holds (applying
   * queued events, member and admin operations). No savepoint per unit: the engine writes only
   * in its one final commit, after every rule check, so a refused operation has written
   * nothing; any database error aborts the caller's whole transaction anyway. The program row
   * the caller read under its lock is kept and updated by every commit, so the engine never
   * reads it again.
   */
  static within(trx: Knex.Transaction, program: ProgramState | null = null): PostgresRewardsStore {
    return new PostgresRewardsStore(trx, true, program)
  }

  /** A bound store's program row as its last commit left it (a copy). */
  async currentProgram(): Promise<ProgramState> {
    if (!this.program) this.program = await readProgramState(this.db)
    return { ...this.program }
  }

  /** A bound store's reads, kept across its units of work until one of them commits. */
  private readonly reads = new ReadCache()

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    if (this.bound) {
      return fn(
        new PostgresStoreTx(
          this.db as Knex.Transaction,
          this,
          {
            read: () => this.currentProgram(),
            saved: (p) => {
              this.program = { ...p }
            },
          },
          this.reads
        )
      )
    }
    return (this.db as Knex).transaction(async (trx) => {
      await lockProgram(trx, !this.closing)
      return fn(new PostgresStoreTx(trx, this))
    })
  }

  /** The close holds {@link CLOSE_GATE} exclusively on a connection of its own while `fn` runs. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.bound) throw new Error("internal: a day close runs on the module's connection pool, not inside a transaction")
    const pool = (this.db as any).client
    const connection = await pool.acquireConnection()
    try {
      await connection.query(`select pg_advisory_lock(${CLOSE_GATE})`)
      this.closing = true
      try {
        return await fn()
      } finally {
        this.closing = false
        this.closeState = null
        await connection.query(`select pg_advisory_unlock(${CLOSE_GATE})`)
      }
    } finally {
      pool.releaseConnection(connection)
    }
  }

  /** The close's state, with what operations changed since the snapshot read again. */
  private async state(): Promise<DayCloseState> {
    this.closeState ??= await DayCloseState.load(this.db as Knex)
    await this.closeState.refresh(this.db as Knex)
    return this.closeState
  }

  /** member-days.ts, for the close's commits (PostgresStoreTx). */
  closeStateFor(kind: "stage" | "publish"): DayCloseState {
    if (!this.closeState) throw new Error(`internal: ${kind} of a member pass that was never read`)
    return this.closeState
  }

  /** After the publish the next close reads the new snapshot. */
  published(): void {
    this.closeState = null
  }

  async *streamBalances(assets: readonly MemberAsset[], batchSize: number): AsyncIterable<BalanceBatch> {
    yield* (await this.state()).balanceBatches(assets, batchSize)
  }

  async memberIdsOf(refs: readonly number[]): Promise<string[]> {
    if (refs.length === 0) return []
    const list = await rows(this.db, `select seq, customer_id from rewards_member where seq = any(?::int[]) and ${LIVE}`, [[...refs]])
    const byRef = new Map(list.map((r) => [r.seq as number, r.customer_id as string]))
    return refs.map((ref) => byRef.get(ref)!)
  }

  async getAmountScale(): Promise<number> {
    return (await this.state()).amountScale()
  }

  async *streamMemberDays(batchSize: number): AsyncIterable<MemberDayRow[]> {
    const state = await this.state()
    await state.startPass(this.db as Knex, batchSize)
    yield* state.memberDayRows()
  }

  /**
   * Folds everything operations changed since the current day snapshot into a new snapshot, with
   * no postings (a batch `snapshot:<generation>` without transfers), in one transaction: after a
   * bulk import, so the next close reads one snapshot instead of a million changed rows, or for a
   * program whose closes have no member pass (neither cycle nor release on), whose changes since
   * the snapshot only grow. Changes no balance, no tranche and no team figure.
   */
  async compact(day: string, batchSize = 20_000): Promise<void> {
    await this.exclusive(async () => {
      const state = await this.state()
      const [{ version }] = await rows(this.db, `select coalesce(max(version), 0) as version from rewards_config_version where ${LIVE}`)
      await (this.db as Knex).transaction(async (trx) => {
        await lockProgram(trx, false)
        const staging = partitionOf(state.gen + 1)
        const [left] = await rows(trx, `select to_regclass(?) is not null as exists`, [staging])
        if (left.exists && (await rows(trx, `select 1 from ${staging} limit 1`)).length > 0) {
          throw new Error(`a day close has staged rows of snapshot ${state.gen + 1}: finish that close first`)
        }
        let n = 0
        await state.startPass(trx, batchSize)
        for (const list of state.memberDayRows()) {
          const trancheCount = list.reduce((k, r) => k + r.tranches.length, 0)
          await state.stage(trx, {
            key: `snapshot:${state.gen + 1}:${n++}`,
            day,
            source: "snapshot",
            configVersion: version,
            refs: Int32Array.from(list, (r) => r.ref),
            amounts: new Array<bigint>(list.length * DAY_SLOTS.length).fill(0n),
            slots: new Uint16Array(list.length),
            trancheOut: new Array<bigint>(trancheCount).fill(0n),
            teamPerformance: list.map((r) => r.teamPerformance),
            starLevel: list.map((r) => r.starLevel),
            amountScale: state.amountScale(),
          })
        }
        await state.publish(trx, day, new Array<bigint>(DAY_SLOTS.length).fill(0n))
      })
      this.published()
    })
  }
}

/** `123.000` → `123`: a scaled numeric is whole but keeps its trailing fraction digits. */
function integerPart(text: string): string {
  const dot = text.indexOf(".")
  return dot < 0 ? text : text.slice(0, dot)
}

async function lockProgram(trx: Knex.Transaction, gate: boolean): Promise<void> {
  const locked = lastRows(await trx.raw(lockingProgram("id", gate)))
  if (locked.length !== 1) throw new Error("the rewards program has not been started (no rewards_program row)")
}

/** The snapshot generation operations stamp their member and tranche rows with. */
const CURRENT_GEN = `(select snapshot_gen from rewards_program where ${LIVE})`

/**
 * The program row (`forUpdate`: and its lock, which every writer takes first, after the day
 * close's gate: {@link lockingProgram}).
 */
export async function readProgramState(
  db: Knex | Knex.Transaction,
  forUpdate = false
): Promise<ProgramState & { scale: number }> {
  const columns = "scale, first_day, last_closed_day, growth_price::text as growth_price, member_seq, order_seq, op_seq"
  const [p] = forUpdate
    ? lastRows(await db.raw(lockingProgram(columns)))
    : await rows(db, `select ${columns} from rewards_program where ${LIVE}`)
  if (!p) throw new Error("the rewards program has not been started (no rewards_program row)")
  return {
    scale: p.scale,
    firstDay: p.first_day,
    lastClosedDay: p.last_closed_day,
    growthPrice: new Dec(p.growth_price),
    memberSeq: p.member_seq,
    orderSeq: p.order_seq,
    opSeq: p.op_seq,
  }
}

/** How a bound store's unit of work reads and keeps the program row (see {@link PostgresRewardsStore.within}). */
interface ProgramCache {
  read(): Promise<ProgramState>
  saved(program: ProgramState): void
}

/** Every system account: their balances are read together, once per unit of work. */
const SYSTEM_ACCOUNTS = Object.values(SYSTEM)

/** A member row as JSON with its numerics as text (JSON numbers would lose digits). */
const MEMBER_JSON = (alias: string) => `json_build_object(
  'customer_id', ${alias}.customer_id, 'seq', ${alias}.seq, 'referrer_id', ${alias}.referrer_id, 'depth', ${alias}.depth,
  'joined_day', ${alias}.joined_day, 'net_spend', ${alias}.net_spend::text, 'purchase_weight', ${alias}.purchase_weight::text,
  'referral_weight', ${alias}.referral_weight::text, 'admin_weight', ${alias}.admin_weight::text, 'level', ${alias}.level,
  'has_orders', ${alias}.has_orders)`

/**
 * One unit of work. Its reads are few and wide rather than many and narrow, because an award
 * runs under the program lock and every round trip there delays every other writer: reading a
 * member also reads its referrer, both members' balances and the member's tranches (an order's
 * rules need exactly these), and the first system balance read reads every system balance.
 * What was read is kept until the next commit (a bound store's units of work share it: the
 * caller's lock keeps every other writer out); every read returns a copy.
 */
class ReadCache {
  readonly members = new Map<string, MemberRecord | null>()
  readonly balances = new Map<string, MemberBalances>()
  readonly tranches = new Map<string, TrancheRecord[]>()
  system: Map<string, bigint> | null = null

  clear(): void {
    this.members.clear()
    this.balances.clear()
    this.tranches.clear()
    this.system = null
  }
}

class PostgresStoreTx implements StoreTx {
  private readonly members: Map<string, MemberRecord | null>
  private readonly balances: Map<string, MemberBalances>
  private readonly tranches: Map<string, TrancheRecord[]>

  constructor(
    private readonly trx: Knex.Transaction,
    private readonly store: PostgresRewardsStore,
    private readonly program: ProgramCache | null = null,
    private readonly reads: ReadCache = new ReadCache()
  ) {
    this.members = reads.members
    this.balances = reads.balances
    this.tranches = reads.tranches
  }

  private q(sql: string, bindings: readonly unknown[] = []): Promise<Row[]> {
    return rows(this.trx, sql, bindings)
  }

  async getProgram(): Promise<ProgramState> {
    if (this.program) return this.program.read()
    const { scale: _scale, ...program } = await readProgramState(this.trx)
    return program
  }

  async getMember(id: string): Promise<MemberRecord | null> {
    if (!this.members.has(id)) await this.loadMember(id)
    const m = this.members.get(id)!
    return m ? { ...m } : null
  }

  /** The member, its referrer, both members' balances and the member's tranches, in one round trip. */
  private async loadMember(id: string): Promise<void> {
    const [r] = await this.q(
      `with m as (select * from rewards_member where customer_id = ? and ${LIVE}),
            r as (select * from rewards_member where customer_id = (select referrer_id from m) and ${LIVE})
       select (select ${MEMBER_JSON("m")} from m) as member,
              (select ${MEMBER_JSON("r")} from r) as referrer,
              (select coalesce(json_agg(json_build_array(x.customer_id, encode(s.state, 'base64'), s.wide::text)), '[]'::json)
                 from (select customer_id, seq from m union all select customer_id, seq from r) x
                 left join rewards_member_state s on s.seq = x.seq) as states,
              (select coalesce(json_agg(json_build_array(j.account, j.asset, j.amount::text)), '[]'::json)
                 from rewards_member_balance j
                where j.account in (select 'm:' || customer_id from m union all select 'm:' || customer_id from r)) as journal,
              (select coalesce(json_agg(json_build_object(
                        'order_id', t.order_id, 'member_id', t.member_id, 'seq', t.seq, 'multiple', t.multiple::text,
                        'remaining', t.remaining::text, 'net_amount', t.net_amount::text, 'daily_base', t.daily_base::text,
                        'gen', t.gen)
                      order by t.seq), '[]'::json)
                 from rewards_tranche t where t.member_id = ? and t.${LIVE}) as tranches,
              ${CURRENT_GEN} as gen`,
      [id, id]
    )
    const member = r.member ? toMember(r.member) : null
    this.members.set(id, member)
    if (!member) return
    const referrer = r.referrer ? toMember(r.referrer) : null
    if (referrer && !this.members.has(referrer.id)) this.members.set(referrer.id, referrer)
    for (const m of referrer ? [member, referrer] : [member]) {
      if (!this.balances.has(m.id)) this.balances.set(m.id, emptyBalances())
    }
    // balances and tranches now: the day snapshot's, with what operations changed since
    const states = new Map<string, ReturnType<typeof decodeState>>()
    for (const [customerId, state, wide] of r.states as (string | null)[][]) {
      const decoded = decodeState(state ? Buffer.from(state, "base64") : null, wide)
      states.set(customerId!, decoded)
      const b = this.balances.get(customerId!)!
      if (decoded) MEMBER_ASSETS.forEach((a, i) => (b[a] = decoded.bal[i]))
    }
    for (const [account, asset, amount] of r.journal as [string, MemberAsset, string][]) {
      this.balances.get(account.slice(2))![asset] += BigInt(integerPart(amount))
    }
    this.tranches.set(id, currentTranches(r.tranches as Row[], r.gen, states.get(id) ?? null))
  }

  /**
   * One recursive query up the member's referral path, which stops at the ancestor's depth
   * (depth counts generations from the root, so nothing above it can be the ancestor): a deep
   * chain costs one statement, not one per level, while the program lock is held.
   */
  async isAncestor(ancestorId: string, memberId: string): Promise<boolean> {
    const [r] = await this.q(
      `with recursive target as (select depth from rewards_member where customer_id = ? and ${LIVE}),
            up as (
              select m.customer_id, m.referrer_id, m.depth from rewards_member m where m.customer_id = ? and m.${LIVE}
              union all
              select m.customer_id, m.referrer_id, m.depth
                from rewards_member m join up on m.customer_id = up.referrer_id
               where m.${LIVE} and up.depth > (select depth from target)
            )
       select exists (select 1 from up where customer_id = ? and customer_id <> ?) as found`,
      [ancestorId, memberId, ancestorId, memberId]
    )
    return r.found === true
  }

  async getOrder(id: string): Promise<OrderRecord | null> {
    const [o] = await this.q(`select * from rewards_order where order_id = ? and ${LIVE}`, [id])
    return o ? toOrder(o) : null
  }

  async getTranches(memberId: string): Promise<TrancheRecord[]> {
    let list = this.tranches.get(memberId)
    if (!list) {
      // the current remaining points: the day snapshot's, unless an operation wrote the tranche since
      const found = await this.q(
        `select t.*, ${CURRENT_GEN} as current_gen, s.state, s.wide::text as wide
           from rewards_tranche t
           join rewards_member m on m.customer_id = t.member_id and m.${LIVE}
           left join rewards_member_state s on s.seq = m.seq
          where t.member_id = ? and t.${LIVE} order by t.seq`,
        [memberId]
      )
      list = found.length === 0 ? [] : currentTranches(found, found[0].current_gen, decodeState(found[0].state, found[0].wide))
      this.tranches.set(memberId, list)
    }
    return list.map((t) => ({ ...t }))
  }

  async getMemberBalances(memberId: string): Promise<MemberBalances> {
    if (!this.balances.has(memberId)) await this.prefetchBalances([memberId])
    return { ...this.balances.get(memberId)! }
  }

  /** Members' day snapshots and what operations changed since, in one query, into the cache. */
  async prefetchBalances(memberIds: readonly string[]): Promise<void> {
    const missing = memberIds.filter((id) => !this.balances.has(id))
    if (missing.length === 0) return
    const list = await this.q(
      `select m.customer_id, s.state, s.wide::text as wide,
              (select coalesce(json_agg(json_build_array(j.asset, j.amount::text)), '[]'::json)
                 from rewards_member_balance j where j.account = 'm:' || m.customer_id) as journal
         from rewards_member m left join rewards_member_state s on s.seq = m.seq
        where m.customer_id = any(?::text[]) and m.${LIVE}`,
      [missing]
    )
    for (const r of list) this.balances.set(r.customer_id, balancesOf(r))
    // not a member (yet): nothing held
    for (const id of missing) if (!this.balances.has(id)) this.balances.set(id, emptyBalances())
  }

  async getSystemBalance(account: string, asset: Asset): Promise<bigint> {
    if (!this.reads.system) {
      const list = await this.q(
        `select account, asset, amount::text as amount from rewards_balance where account = any(?::text[]) and ${LIVE}`,
        [SYSTEM_ACCOUNTS]
      )
      this.reads.system = new Map(list.map((r) => [`${r.account}\u0000${r.asset}`, BigInt(r.amount)]))
    }
    if (!SYSTEM_ACCOUNTS.includes(account as (typeof SYSTEM_ACCOUNTS)[number])) {
      const [r] = await this.q(`select amount::text as amount from rewards_balance where account = ? and asset = ? and ${LIVE}`, [
        account,
        asset,
      ])
      return r ? BigInt(r.amount) : 0n
    }
    return this.reads.system.get(`${account}\u0000${asset}`) ?? 0n
  }

  async hasBatch(key: string): Promise<boolean> {
    const found = await this.q(`select 1 from rewards_transfer_batch where key = ? and ${LIVE}`, [key])
    return found.length > 0
  }

  async getOrdersMaturingOn(day: string): Promise<OrderRecord[]> {
    const list = await this.q(
      `select * from rewards_order where matures_on = ? and status = 'pending' and ${LIVE} order by seq`,
      [day]
    )
    return list.map(toOrder)
  }

  async getDaySales(day: string): Promise<Dec> {
    const [r] = await this.q(`select sales::text as sales from rewards_day_sales where day = ? and ${LIVE}`, [day])
    return new Dec(r ? r.sales : 0)
  }

  async getDayRun(day: string): Promise<DayRun | null> {
    const [r] = await this.q(`select * from rewards_day_run where day = ? and ${LIVE}`, [day])
    return r ? toDayRun(r) : null
  }

  async getDayReports(): Promise<DayReport[]> {
    const list = await this.q(`select report from rewards_day_run where step = 'done' and report is not null and ${LIVE} order by day`)
    return list.map((r) => decodeReport(r.report))
  }

  /**
   * Writes a unit of work. Its rows go in as few statements as possible: members, batches (keys,
   * transfers, balances), orders, tranches, day sales, the program row and the day run are one
   * statement of data-modifying CTEs (each touches rows no other one touches), so an award
   * commits in one round trip while it holds the program lock. A day close's staged member-days
   * are written, and published, between the rows they may read and the day's sales and program.
   */
  async commit(change: Commit): Promise<void> {
    // what was read is stale once anything is written
    this.reads.clear()
    const batches = change.batch ? [change.batch, ...(change.batches ?? [])] : (change.batches ?? [])
    const statement = new WriteStatement()
    // members first: a batch may credit a member who joins in the same operation
    if (change.members?.length) statement.add(membersWrite(change.members))
    if (batches.length > 0) statement.addBatches(batches)
    if (change.orders?.length) statement.add(ordersWrite(change.orders))
    if (change.tranches?.length) statement.add(tranchesWrite(change.tranches))
    const closing = change.memberDays !== undefined || change.publishMemberDays !== undefined
    const after = closing ? new WriteStatement() : statement
    if (change.daySales?.length) after.add(daySalesWrite(change.daySales))
    if (change.program) after.add(programWrite(change.program))
    if (change.dayRun) after.add(dayRunWrite(change.dayRun))

    await statement.run(this.trx)
    if (change.memberDays) await this.store.closeStateFor("stage").stage(this.trx, change.memberDays)
    if (change.publishMemberDays) {
      const { day, slotTotals } = change.publishMemberDays
      await this.store.closeStateFor("publish").publish(this.trx, day, slotTotals)
      this.store.published()
    }
    if (after !== statement) await after.run(this.trx)
    if (change.program) this.program?.saved(change.program)
    if (change.reparent) await this.reparent(change.reparent)
  }

  /** Commit.reparent: the member's new referrer; its whole subtree's depth shifts in one statement. */
  private async reparent(r: NonNullable<Commit["reparent"]>): Promise<void> {
    if (r.depthDelta !== 0) {
      await this.q(
        `with recursive sub as (
           select customer_id from rewards_member where customer_id = ? and ${LIVE}
           union all
           select m.customer_id from rewards_member m join sub on m.referrer_id = sub.customer_id where m.${LIVE}
         )
         update rewards_member set depth = depth + ?, gen = ${CURRENT_GEN}, updated_at = now()
          where customer_id in (select customer_id from sub) and ${LIVE}`,
        [r.memberId, r.depthDelta]
      )
    }
    await this.q(`update rewards_member set referrer_id = ?, gen = ${CURRENT_GEN}, updated_at = now() where customer_id = ? and ${LIVE}`, [
      r.referrerId,
      r.memberId,
    ])
  }
}

/** One data-modifying CTE of a {@link WriteStatement}: its SQL and its bindings. */
interface Write {
  sql: string
  bindings: unknown[]
}

/**
 * Writes as one statement of data-modifying CTEs. Every part sees the database as it was
 * before the statement and none touches a row another part touches (PostgreSQL leaves the order
 * of such writes open); unique and foreign-key checks still hold for each row.
 */
class WriteStatement {
  private readonly parts: Write[] = []
  /** The part that inserts the batch keys, and the keys it must insert (batches with transfers). */
  private batches: { part: number; mustWrite: string[] } | null = null

  add(write: Write): void {
    this.parts.push(write)
  }

  /**
   * Batches in order: their keys, their transfers (ids in batch order, then transfer order), and
   * the balances they move. An empty batch only takes its key; a key already taken by a batch
   * with transfers is a {@link DuplicateBatchError} (found after the statement, which the caller's
   * transaction then undoes whole).
   */
  addBatches(list: TransferBatch[]): void {
    const keys = new Set<string>()
    for (const b of list) {
      if (keys.has(b.key)) throw new DuplicateBatchError(b.key)
      keys.add(b.key)
    }
    const mustWrite: string[] = []
    const keysPart = `w${this.parts.length}`
    this.batches = { part: this.parts.length, mustWrite }
    this.parts.push({
      sql: `insert into rewards_transfer_batch (key, day, source, config_version)
            select u.key, u.day, u.source, u.config_version
              from unnest(?::text[], ?::text[], ?::text[], ?::int[]) with ordinality as u(key, day, source, config_version, pos)
             order by u.pos
            on conflict (key) where ${LIVE} do nothing returning id, key`,
      bindings: [list.map((b) => b.key), list.map((b) => b.day), list.map((b) => b.source), list.map((b) => b.configVersion)],
    })
    const batchKey: string[] = []
    const day: string[] = []
    const asset: string[] = []
    const debit: string[] = []
    const credit: string[] = []
    const amount: string[] = []
    const reason: string[] = []
    const deltas = new Map<string, bigint>()
    const move = (account: string, a: string, d: bigint) => {
      const k = `${account}\u0000${a}`
      deltas.set(k, (deltas.get(k) ?? 0n) + d)
    }
    for (const b of list) {
      if (b.transfers.length === 0) continue // an empty batch only takes its key (memory store alike)
      mustWrite.push(b.key)
      for (const t of b.transfers) {
        batchKey.push(b.key)
        day.push(b.day)
        asset.push(t.asset)
        debit.push(t.debit)
        credit.push(t.credit)
        amount.push(t.amount.toString())
        reason.push(t.reason)
        move(t.debit, t.asset, -t.amount)
        move(t.credit, t.asset, t.amount)
      }
    }
    if (batchKey.length === 0) return
    // the batch ids come from the keys just inserted (the CTE before this one)
    this.parts.push({
      sql: `insert into rewards_transfer (batch_id, day, asset, debit, credit, amount, raw_amount, reason)
            select k.id, t.day, t.asset, t.debit, t.credit, t.amount, ${RAW("t.amount")}, t.reason
              from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::numeric[], ?::text[])
                   with ordinality as t(key, day, asset, debit, credit, amount, reason, pos)
              join ${keysPart} k on k.key = t.key
             order by t.pos`,
      bindings: [batchKey, day, asset, debit, credit, amount, reason],
    })
    // balances in a fixed order (account, asset): concurrent writers cannot deadlock. A member's
    // balance is its day snapshot plus its changes since (rewards_member_balance); a system
    // account's is its row of rewards_balance.
    const sorted = [...deltas.entries()].filter(([, d]) => d !== 0n).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    const members: [string[], string[], string[]] = [[], [], []]
    const system: [string[], string[], string[]] = [[], [], []]
    for (const [k, d] of sorted) {
      const [account, a] = k.split("\u0000")
      const to = isMemberAccount(account) ? members : account.startsWith("sys:") ? system : null
      if (!to) throw new Error(`internal: transfer to an account that is neither a member nor a system account: ${account}`)
      to[0].push(account)
      to[1].push(a)
      to[2].push(d.toString())
    }
    if (members[0].length > 0) {
      this.parts.push({
        sql: `insert into rewards_member_balance (account, asset, amount)
              select u.account, u.asset, u.amount
                from unnest(?::text[], ?::text[], ?::numeric[]) with ordinality as u(account, asset, amount, pos)
               order by u.pos
              on conflict (account, asset) do update set amount = rewards_member_balance.amount + excluded.amount`,
        bindings: members,
      })
    }
    if (system[0].length > 0) {
      this.parts.push({
        sql: `insert into rewards_balance (id, account, asset, amount, raw_amount)
              select u.id, u.account, u.asset, u.amount, ${RAW("u.amount")}
                from unnest(?::text[], ?::text[], ?::text[], ?::numeric[]) with ordinality as u(id, account, asset, amount, pos)
               order by u.pos
              on conflict (account, asset) where ${LIVE}
              do update set amount = rewards_balance.amount + excluded.amount,
                            raw_amount = ${RAW("rewards_balance.amount + excluded.amount")}, updated_at = now()`,
        bindings: [rowIds("rwbal", system[0].length), ...system],
      })
    }
  }

  /** Runs the parts as one statement; a batch whose key was already taken is a DuplicateBatchError. */
  async run(trx: Knex.Transaction | Knex): Promise<void> {
    if (this.parts.length === 0) return
    const ctes = this.parts.map((p, i) => `w${i} as (${p.sql})`).join(",\n")
    const keys = this.batches ? `(select coalesce(array_agg(key), '{}') from w${this.batches.part})` : `'{}'::text[]`
    const [r] = await rows(trx, `with ${ctes}\nselect ${keys} as batch_keys`, this.parts.flatMap((p) => p.bindings))
    if (this.batches && this.batches.mustWrite.length > 0) {
      const written = new Set<string>(r.batch_keys as string[])
      const taken = this.batches.mustWrite.find((k) => !written.has(k))
      if (taken !== undefined) throw new DuplicateBatchError(taken)
    }
  }
}

function membersWrite(members: MemberRecord[]): Write {
  const ids = rowIds("rwmem", members.length)
  const cols = members.map((m, i) => [
    ids[i],
    m.id,
    m.seq,
    m.referrerId,
    newReferralCode(),
    m.depth,
    m.joinedDay,
    m.netSpend.toFixed(),
    m.purchaseWeight.toString(),
    m.referralWeight.toString(),
    m.adminWeight.toString(),
    m.level,
    m.hasOrders,
  ])
  const column = (i: number) => cols.map((c) => c[i])
  const numeric = ["net_spend", "purchase_weight", "referral_weight", "admin_weight"]
  // gen: a member written since the current day snapshot is newer than it (the close reads it)
  return {
    sql: `insert into rewards_member (id, customer_id, seq, referrer_id, referral_code, depth, joined_day,
                                 net_spend, purchase_weight, referral_weight, admin_weight, level, has_orders,
                                 ${numeric.map((c) => `raw_${c}`).join(", ")}, gen)
     select u.id, u.customer_id, u.seq, u.referrer_id, u.referral_code, u.depth, u.joined_day,
            u.net_spend, u.purchase_weight, u.referral_weight, u.admin_weight, u.level, u.has_orders,
            ${numeric.map((c) => RAW(`u.${c}`)).join(", ")}, ${CURRENT_GEN}
       from unnest(?::text[], ?::text[], ?::int[], ?::text[], ?::text[], ?::int[], ?::text[],
                   ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[], ?::int[], ?::boolean[])
            as u(id, customer_id, seq, referrer_id, referral_code, depth, joined_day,
                 net_spend, purchase_weight, referral_weight, admin_weight, level, has_orders)
     on conflict (customer_id) where ${LIVE}
     do update set referrer_id = excluded.referrer_id, depth = excluded.depth,
                   net_spend = excluded.net_spend, purchase_weight = excluded.purchase_weight,
                   referral_weight = excluded.referral_weight, admin_weight = excluded.admin_weight,
                   level = excluded.level, has_orders = excluded.has_orders,
                   ${numeric.map((c) => `raw_${c} = excluded.raw_${c}`).join(", ")}, gen = excluded.gen, updated_at = now()`,
    bindings: Array.from({ length: 13 }, (_, i) => column(i)),
  }
}

/** The days' sales S (RULES.md §3.2), one row per day: deltas of the same day are summed first. */
function daySalesWrite(list: { day: string; delta: Dec }[]): Write {
  const byDay = new Map<string, Dec>()
  for (const { day, delta } of list) byDay.set(day, (byDay.get(day) ?? new Dec(0)).plus(delta))
  const days = [...byDay.keys()].sort()
  return {
    sql: `insert into rewards_day_sales (id, day, sales, raw_sales)
          select u.id, u.day, u.sales, ${RAW("u.sales")}
            from unnest(?::text[], ?::text[], ?::numeric[]) as u(id, day, sales)
          on conflict (day) where ${LIVE}
          do update set sales = rewards_day_sales.sales + excluded.sales,
                        raw_sales = ${RAW("rewards_day_sales.sales + excluded.sales")}, updated_at = now()`,
    bindings: [rowIds("rwds", days.length), days, days.map((d) => byDay.get(d)!.toFixed())],
  }
}

function ordersWrite(orders: OrderRecord[]): Write {
  const numeric = ["amount", "refunded_before", "matured", "refunded_after"]
  return {
    sql: `insert into rewards_order (id, order_id, member_id, seq, placed_day, matures_on, status, refund_ids,
                                referrer_id, granted, worth, config_version,
                                amount, refunded_before, matured, refunded_after,
                                ${numeric.map((c) => `raw_${c}`).join(", ")})
     select u.id, u.order_id, u.member_id, u.seq, u.placed_day, u.matures_on, u.status, u.refund_ids::jsonb,
            u.referrer_id, u.granted::jsonb, u.worth::jsonb, u.config_version,
            u.amount, u.refunded_before, u.matured, u.refunded_after,
            ${numeric.map((c) => RAW(`u.${c}`)).join(", ")}
       from unnest(?::text[], ?::text[], ?::text[], ?::int[], ?::text[], ?::text[], ?::text[], ?::text[],
                   ?::text[], ?::text[], ?::text[], ?::int[], ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[])
            as u(id, order_id, member_id, seq, placed_day, matures_on, status, refund_ids,
                 referrer_id, granted, worth, config_version, amount, refunded_before, matured, refunded_after)
     on conflict (order_id) where ${LIVE}
     do update set status = excluded.status, refund_ids = excluded.refund_ids, referrer_id = excluded.referrer_id,
                   granted = excluded.granted, worth = excluded.worth,
                   refunded_before = excluded.refunded_before, matured = excluded.matured,
                   refunded_after = excluded.refunded_after, raw_refunded_before = excluded.raw_refunded_before,
                   raw_matured = excluded.raw_matured, raw_refunded_after = excluded.raw_refunded_after,
                   updated_at = now()`,
    bindings: [
      rowIds("rword", orders.length),
      orders.map((o) => o.id),
      orders.map((o) => o.memberId),
      orders.map((o) => o.seq),
      orders.map((o) => o.placedDay),
      orders.map((o) => o.maturesOn),
      orders.map((o) => o.status),
      orders.map((o) => JSON.stringify(o.refundIds)),
      orders.map((o) => o.referrerId),
      orders.map((o) => (o.granted ? JSON.stringify(o.granted.map(String)) : null)),
      orders.map((o) => (o.worth ? JSON.stringify(o.worth.map(String)) : null)),
      orders.map((o) => o.configVersion),
      orders.map((o) => o.amount.toFixed()),
      orders.map((o) => o.refundedBefore.toFixed()),
      orders.map((o) => o.matured.toFixed()),
      orders.map((o) => o.refundedAfter.toFixed()),
    ],
  }
}

function tranchesWrite(tranches: TrancheRecord[]): Write {
  const numeric = ["multiple", "remaining", "net_amount", "daily_base"]
  // gen: a tranche written since the current day snapshot is newer than it (the close reads it)
  return {
    sql: `insert into rewards_tranche (id, order_id, member_id, seq, ${numeric.join(", ")},
                                  ${numeric.map((c) => `raw_${c}`).join(", ")}, gen)
     select u.id, u.order_id, u.member_id, u.seq, ${numeric.map((c) => `u.${c}`).join(", ")},
            ${numeric.map((c) => RAW(`u.${c}`)).join(", ")}, ${CURRENT_GEN}
       from unnest(?::text[], ?::text[], ?::text[], ?::int[], ?::numeric[], ?::numeric[], ?::numeric[], ?::numeric[])
            as u(id, order_id, member_id, seq, ${numeric.join(", ")})
     on conflict (order_id) where ${LIVE}
     do update set remaining = excluded.remaining, net_amount = excluded.net_amount, daily_base = excluded.daily_base,
                   raw_remaining = excluded.raw_remaining, raw_net_amount = excluded.raw_net_amount,
                   raw_daily_base = excluded.raw_daily_base, gen = excluded.gen, updated_at = now()`,
    bindings: [
      rowIds("rwtr", tranches.length),
      tranches.map((t) => t.orderId),
      tranches.map((t) => t.memberId),
      tranches.map((t) => t.seq),
      tranches.map((t) => t.multiple.toFixed()),
      tranches.map((t) => t.remaining.toString()),
      tranches.map((t) => t.netAmount.toFixed()),
      tranches.map((t) => t.dailyBase.toString()),
    ],
  }
}

function programWrite(p: ProgramState): Write {
  return {
    sql: `update rewards_program
        set first_day = ?, last_closed_day = ?, growth_price = ?::numeric, raw_growth_price = ${RAW("?::numeric")},
            member_seq = ?, order_seq = ?, op_seq = ?, updated_at = now()
      where ${LIVE}`,
    bindings: [p.firstDay, p.lastClosedDay, p.growthPrice.toFixed(), p.growthPrice.toFixed(), p.memberSeq, p.orderSeq, p.opSeq],
  }
}

function dayRunWrite(run: DayRun): Write {
  return {
    sql: `insert into rewards_day_run (id, day, step, config_version, exit_due, cycle, report, started_at, finished_at)
     values (?, ?, ?, ?, ?::jsonb, ?::jsonb, ?::jsonb, now(), case when ? = 'done' then now() end)
     on conflict (day) where ${LIVE}
     do update set step = excluded.step, config_version = excluded.config_version, exit_due = excluded.exit_due,
                   cycle = excluded.cycle, report = excluded.report, error = null,
                   finished_at = coalesce(rewards_day_run.finished_at, excluded.finished_at), updated_at = now()`,
    bindings: [
      generateEntityId(undefined, "rwrun"),
      run.day,
      run.step,
      run.configVersion,
      run.exitDue ? JSON.stringify(run.exitDue) : null,
      run.cycle ? JSON.stringify(encodeCycle(run.cycle)) : null,
      run.report ? JSON.stringify(encodeReport(run.report)) : null,
      run.step,
    ],
  }
}

// ---- row <-> record ----

function toMember(m: Row): MemberRecord {
  return {
    id: m.customer_id,
    seq: m.seq,
    referrerId: m.referrer_id,
    depth: m.depth,
    joinedDay: m.joined_day,
    netSpend: new Dec(m.net_spend),
    purchaseWeight: BigInt(integerPart(m.purchase_weight)),
    referralWeight: BigInt(integerPart(m.referral_weight)),
    adminWeight: BigInt(integerPart(m.admin_weight)),
    level: m.level,
    hasOrders: m.has_orders,
  }
}

function grants(v: unknown): bigint[] | null {
  return Array.isArray(v) ? v.map((x) => BigInt(x as string)) : null
}

function toOrder(o: Row): OrderRecord {
  return {
    id: o.order_id,
    memberId: o.member_id,
    seq: o.seq,
    placedDay: o.placed_day,
    amount: new Dec(o.amount),
    refundedBefore: new Dec(o.refunded_before),
    maturesOn: o.matures_on,
    status: o.status,
    matured: new Dec(o.matured),
    refundedAfter: new Dec(o.refunded_after),
    refundIds: o.refund_ids ?? [],
    referrerId: o.referrer_id,
    granted: grants(o.granted),
    worth: grants(o.worth),
    configVersion: o.config_version,
  }
}

/** A member's balances now: its snapshot row's (`state`, `wide`) plus its changes since (`journal`). */
function balancesOf(r: Row): MemberBalances {
  const b = emptyBalances()
  const state = decodeState(r.state, r.wide)
  if (state) MEMBER_ASSETS.forEach((a, i) => (b[a] = state.bal[i]))
  for (const [asset, amount] of (r.journal ?? []) as [MemberAsset, string][]) b[asset] += BigInt(integerPart(amount))
  return b
}

/**
 * A member's tranche rows as they stand now: a row an operation wrote since the current day
 * snapshot (`gen` ≥ its generation) as written, any other with the locked points the snapshot
 * holds for it.
 */
function currentTranches(list: Row[], currentGen: number, state: ReturnType<typeof decodeState>): TrancheRecord[] {
  return list.map((row) => {
    const t = trancheFromRow(row)
    if (state && Number(row.gen) < currentGen) t.remaining = state.tranches.get(t.seq) ?? t.remaining
    return t
  })
}

export function trancheFromRow(t: Row): TrancheRecord {
  return {
    orderId: t.order_id,
    memberId: t.member_id,
    seq: t.seq,
    multiple: new Dec(t.multiple),
    remaining: BigInt(integerPart(t.remaining)),
    netAmount: new Dec(t.net_amount),
    dailyBase: BigInt(integerPart(t.daily_base)),
  }
}

function toDayRun(r: Row): DayRun {
  return {
    day: r.day,
    step: r.step,
    configVersion: r.config_version,
    exitDue: r.exit_due ?? null,
    cycle: r.cycle ? decodeCycle(r.cycle) : null,
    report: r.report ? decodeReport(r.report) : null,
  }
}

// DayRun aggregates and reports as JSON: atoms and decimals as strings.
const str = (x: bigint) => x.toString()

export function encodeCycle(c: CycleAggregates): Row {
  return {
    sales: c.sales.toFixed(),
    proRataPool: str(c.proRataPool),
    tierPools: c.tierPools.map(str),
    totalWeight: str(c.totalWeight),
    tierCounts: c.tierCounts,
  }
}

function decodeCycle(c: Row): CycleAggregates {
  return {
    sales: new Dec(c.sales),
    proRataPool: BigInt(c.proRataPool),
    tierPools: c.tierPools.map((x: string) => BigInt(x)),
    totalWeight: BigInt(c.totalWeight),
    tierCounts: c.tierCounts,
  }
}

export function encodeReport(r: DayReport): Row {
  return {
    day: r.day,
    sales: r.sales.toFixed(),
    cycle: {
      proRataPool: str(r.cycle.proRataPool),
      tierPools: r.cycle.tierPools.map(str),
      paid: str(r.cycle.paid),
      returned: str(r.cycle.returned),
    },
    release: {
      base: str(r.release.base),
      share: str(r.release.share),
      team: str(r.release.team),
      peer: str(r.release.peer),
      forfeited: str(r.release.forfeited),
    },
    growth: { exits: r.growth.exits, exitProceeds: str(r.growth.exitProceeds) },
  }
}

export function decodeReport(r: Row): DayReport {
  return {
    day: r.day,
    sales: new Dec(r.sales),
    cycle: {
      proRataPool: BigInt(r.cycle.proRataPool),
      tierPools: r.cycle.tierPools.map((x: string) => BigInt(x)),
      paid: BigInt(r.cycle.paid),
      returned: BigInt(r.cycle.returned),
    },
    release: {
      base: BigInt(r.release.base),
      share: BigInt(r.release.share),
      team: BigInt(r.release.team),
      peer: BigInt(r.release.peer),
      forfeited: BigInt(r.release.forfeited),
    },
    growth: { exits: r.growth.exits, exitProceeds: BigInt(r.growth.exitProceeds) },
  }
}

const CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ" // no 0/O, 1/I: codes are typed by hand

/** A member's referral code: 8 random characters of an unambiguous alphabet (32^8 ≈ 10^12). */
export function newReferralCode(): string {
  const bytes = randomBytes(8)
  let code = ""
  for (const b of bytes) code += CODE_ALPHABET[b % CODE_ALPHABET.length]
  return code
}

