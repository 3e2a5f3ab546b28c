import { type Knex, knex as createKnex } from "@medusajs/framework/mikro-orm/knex"
import type { Logger } from "@medusajs/framework/types"
import { MedusaError, MedusaService, generateEntityId } from "@medusajs/framework/utils"
import { type ProgramConfig, ConfigError, defaultProgramConfig, parseProgramConfig, serializeProgramConfig } from "../../engine/config"
import { Dec, fromAtoms } from "../../engine/decimal"
import { addDays, nextDay, openDayOf } from "../../engine/days"
import { type ConfigVersion, RewardsEngine, configVersionAt } from "../../engine/engine"
import type { AuditResult } from "../../engine/audit"
import { eligibleAmount } from "../../engine/eligible"
import { RulesError } from "../../engine/errors"
import type { ProgramState } from "../../engine/store"
import { MEMBER_ASSETS, SYSTEM } from "../../engine/ledger"
import { businessDayOf } from "./business-day"
import RewardsBalance from "./models/balance"
import RewardsCartFigures from "./models/cart-figures"
import RewardsConfigVersion from "./models/config-version"
import RewardsDayRun from "./models/day-run"
import RewardsDaySales from "./models/day-sales"
import RewardsEvent from "./models/event"
import RewardsMember from "./models/member"
import RewardsOrder from "./models/order"
import RewardsProgram from "./models/program"
import RewardsTranche from "./models/tranche"
import RewardsTransfer from "./models/transfer"
import RewardsTransferBatch from "./models/transfer-batch"
import { auditDatabase } from "./audit-database"
import { reasonTotal } from "./ledger-read"
import { BALANCE_COLUMNS } from "./member-days"
import { PostgresRewardsStore, readProgramState } from "./postgres-store"
import * as adminQ from "./admin-queries"
import { RewardsStorefront } from "./storefront"
import type {
  DayRunsView,
  ImportItem,
  AdjustBalanceInput,
  MemberPointsInput,
  OperationResult,
  TransferView,
  RecordedEvent,
  RefundEventInput,
  JoinEventInput,
  OrderEventInput,
  CartFiguresInput,
  RewardsModuleOptions,
  RewardsSummary,
} from "./types"

type InjectedDependencies = {
  logger: Logger
  baseRepository: { getFreshManager(): { getKnex(): Knex } }
}

type Row = Record<string, any>

/** Local time after midnight when the previous business day is due for its close. */
const DEFAULT_CLOSE_AT = "00:05"
/**
 * Connections a day close opens at most, in a pool of its own: its gate, a transaction, and two
 * snapshot reads, two batch commits in flight or two index builds beside it.
 */
const CLOSE_POOL_SIZE = 6

/**
 * The rewards module: the program's state in PostgreSQL and the operations Medusa's
 * workflows call. Every amount is decided by the engine (src/engine); this service records
 * store events in the inbox (`rewards_event`) under keys derived from their cause, applies
 * them in recording order once their business day is open (RULES.md §1.3), and closes
 * finished business days (§6).
 */
export default class RewardsModuleService extends MedusaService({
  RewardsProgram,
  RewardsConfigVersion,
  RewardsMember,
  RewardsBalance,
  RewardsTransferBatch,
  RewardsTransfer,
  RewardsOrder,
  RewardsTranche,
  RewardsDaySales,
  RewardsDayRun,
  RewardsEvent,
  RewardsCartFigures,
}) {
  protected readonly logger_: Logger
  protected readonly options_: RewardsModuleOptions
  private readonly repository_: InjectedDependencies["baseRepository"]
  private clock_: () => Date = () => new Date()
  private closing_: Promise<unknown> = Promise.resolve()

  constructor(container: InjectedDependencies, options: RewardsModuleOptions = {}) {
    // eslint-disable-next-line prefer-rest-params
    super(...arguments)
    this.logger_ = container.logger
    this.repository_ = container.baseRepository
    this.options_ = options ?? {}
  }

  /** The module's options as the store's medusa-config gave them (subscribers read them here). */
  getOptions(): RewardsModuleOptions {
    return this.options_
  }

  /** The knex of the module's connection (raw, set-based SQL of the store and the inbox). */
  protected knex(): Knex {
    return this.repository_.getFreshManager().getKnex()
  }

  /**
   * Replaces the business clock (the demo seeds past days with it; tests pin it). Every event
   * is dated by this clock in the program's time zone when it is recorded.
   */
  setClock(now: () => Date): void {
    this.clock_ = now
  }

  /** Today's business day in the program's time zone (RULES.md §1.3). */
  async today(versions?: ConfigVersion[]): Promise<string> {
    versions ??= await this.configVersions()
    // the time zone of the newest version: a zone change applies from the day it is saved
    const latest = versions[versions.length - 1]
    return businessDayOf(this.clock_(), latest.config.timezone)
  }

  // ---- program and configuration ----

  /**
   * Starts the program once: configuration version 1 from the plugin options (`program`,
   * validated by the one config schema, RULES.md §1.9) or the defaults (every scheme off).
   * Idempotent and safe across processes (advisory lock).
   */
  async startProgram(): Promise<void> {
    const knex = this.knex()
    const existing = await knex.raw(`select 1 from rewards_program where deleted_at is null`)
    if (existing.rows.length > 0) return
    let config: ProgramConfig
    try {
      config = this.options_.program ? parseProgramConfig(this.options_.program) : defaultProgramConfig()
    } catch (e) {
      if (e instanceof ConfigError) {
        throw new MedusaError(MedusaError.Types.INVALID_DATA, `medusa-rewards plugin option program.${e.message}`)
      }
      throw e
    }
    await knex.transaction(async (trx) => {
      await trx.raw(`select pg_advisory_xact_lock(hashtext('medusa-rewards:start-program'))`)
      const again = await trx.raw(`select 1 from rewards_program where deleted_at is null`)
      if (again.rows.length > 0) return
      const price = config.schemes.growth.initialPrice.toFixed()
      await trx.raw(
        `insert into rewards_program (id, scale, growth_price, raw_growth_price, member_seq, order_seq, op_seq)
         values (?, ?, ?::numeric, jsonb_build_object('value', ?::text, 'precision', 20), 0, 0, 0)`,
        [newId("rwprg"), config.scale, price, price]
      )
      await trx.raw(
        `insert into rewards_config_version (id, version, effective_from, config, created_by, note)
         values (?, 1, null, ?::jsonb, 'plugin-options', 'initial program')`,
        [newId("rwcfg"), JSON.stringify(serializeProgramConfig(config))]
      )
    })
  }

  /**
   * Every configuration version, oldest first (RULES.md §7). Parsed versions are kept while the
   * stored ones are the same rows (their ids, in one short query that also tells whether the
   * program has started): every award asks, and parsing the schema each time cost more than
   * the rest of the award's own work. A version saved by another process is a new row, so it
   * is seen at once.
   */
  async configVersions(): Promise<ConfigVersion[]> {
    const [state] = (
      await this.knex().raw(
        `select exists (select 1 from rewards_program where deleted_at is null) as started,
                (select string_agg(id, ',' order by version) from rewards_config_version where deleted_at is null) as ids`
      )
    ).rows as Row[]
    if (!state.started) {
      await this.startProgram()
      return this.configVersions()
    }
    if (this.versions_?.ids !== state.ids) {
      const result = await this.knex().raw(
        `select version, effective_from, config from rewards_config_version where deleted_at is null order by version`
      )
      const versions = (result.rows as Row[]).map((r) => ({
        version: r.version,
        effectiveFrom: r.effective_from,
        config: parseProgramConfig(r.config),
      }))
      this.versions_ = { ids: state.ids, versions }
    }
    return this.versions_!.versions
  }

  private versions_: { ids: string; versions: ConfigVersion[] } | null = null

  /**
   * Saves a configuration as a new version (RULES.md §7, §1.9). It governs from the next
   * business day (the day after today or the open day, whichever is later), or from the
   * start while the program has had no event. The program's `scale` is fixed: stored amounts
   * are atoms of it. Invalid input is refused with `<field>: <rule>` and saves nothing.
   */
  async saveConfigVersion(input: unknown, by: { createdBy?: string; note?: string } = {}): Promise<ConfigVersion> {
    let config: ProgramConfig
    try {
      config = parseProgramConfig(input)
    } catch (e) {
      if (e instanceof ConfigError) throw new MedusaError(MedusaError.Types.INVALID_DATA, e.message)
      throw e
    }
    await this.startProgram()
    const today = await this.today()
    return this.knex().transaction(async (trx) => {
      const program = await lockProgram(trx)
      if (config.scale !== program.scale) {
        throw new MedusaError(
          MedusaError.Types.INVALID_DATA,
          `scale: cannot change from ${program.scale} once the program has started (stored amounts are kept at that scale)`
        )
      }
      const open = openDayOf(program)
      const effectiveFrom = open === null ? null : nextDay(open > today ? open : today)
      const [{ version }] = (
        await trx.raw(`select coalesce(max(version), 0) + 1 as version from rewards_config_version where deleted_at is null`)
      ).rows
      await trx.raw(
        `insert into rewards_config_version (id, version, effective_from, config, created_by, note)
         values (?, ?, ?, ?::jsonb, ?, ?)`,
        [newId("rwcfg"), version, effectiveFrom, JSON.stringify(serializeProgramConfig(config)), by.createdBy ?? null, by.note ?? null]
      )
      return { version, effectiveFrom, config }
    })
  }

  /**
   * An engine over the database (or over `trx`, whose program lock the caller holds). The
   * versions are read before any transaction opens: a transaction never waits for a second
   * pool connection (under load that wait would exhaust the pool).
   */
  protected engine(versions: ConfigVersion[], trx?: Knex.Transaction, program?: ProgramState, db?: Knex): RewardsEngine {
    const store = trx ? PostgresRewardsStore.within(trx, program) : new PostgresRewardsStore(db ?? this.knex())
    return new RewardsEngine(store, versions, { dayBatchSize: this.options_.dayBatchSize })
  }

  // ---- the inbox: store events ----

  /** RULES.md §1.1: a customer joins (with the referrer its referral code names, if any). */
  async recordJoin(input: JoinEventInput): Promise<RecordedEvent> {
    return this.record("join", `customer:${input.customerId}:join`, { ...input })
  }

  /**
   * RULES.md §1.2–1.4: an order was placed. Its eligible amount is decided now, under the
   * configuration of today; an ineligible order (no customer, a currency without a rate) is
   * recorded as skipped with its reason.
   */
  async recordOrder(input: OrderEventInput): Promise<RecordedEvent> {
    const versions = await this.configVersions()
    const today = await this.today(versions)
    const cfg = configVersionAt(versions, today).config
    const f = input.figures
    const figures = {
      currencyCode: String(f.currencyCode ?? ""),
      items: decimalField("figures.items", f.items),
      total: decimalField("figures.total", f.total),
      creditUsed: decimalField("figures.creditUsed", f.creditUsed),
      pointsUsed: decimalField("figures.pointsUsed", f.pointsUsed),
    }
    const e = input.customerId
      ? eligibleAmount(figures, cfg)
      : ({ eligible: false, reason: "customer_id: the order has no customer" } as const)
    const payload = {
      orderId: input.orderId,
      customerId: input.customerId,
      amount: e.eligible ? e.amount.toFixed() : null,
      figures: input.figures,
    }
    return this.record("order", `order:${input.orderId}:placed`, payload, e.eligible ? null : e.reason, versions)
  }

  /**
   * Keeps a completing cart's §1.2 figures (`rewards_cart_figures`) for the award of the order it
   * becomes; a completion tried again rewrites them.
   */
  async keepCartFigures(input: CartFiguresInput): Promise<void> {
    await this.knex().raw(
      `insert into rewards_cart_figures (id, cart_id, customer_id, figures)
       values (?, ?, ?, ?::jsonb)
       on conflict (cart_id) where deleted_at is null do update
         set customer_id = excluded.customer_id, figures = excluded.figures, updated_at = now()`,
      [newId("rwcf"), input.cartId, input.customerId, JSON.stringify(input.figures)]
    )
  }

  /** Forgets a cart's kept figures (its completion failed); its order, if any, is then read back. */
  async forgetCartFigures(cartId: string): Promise<void> {
    await this.knex().raw(`delete from rewards_cart_figures where cart_id = ?`, [cartId])
  }

  /** The §1.2 figures kept when a cart completed, or null (see {@link keepCartFigures}). */
  async cartFigures(cartId: string): Promise<CartFiguresInput | null> {
    const [row] = (
      await this.knex().raw(
        `select cart_id, customer_id, figures from rewards_cart_figures where cart_id = ? and deleted_at is null`,
        [cartId]
      )
    ).rows as Row[]
    return row ? { cartId: row.cart_id, customerId: row.customer_id, figures: row.figures } : null
  }

  /**
   * RULES.md §1.5: a refund, return or cancellation. `refundedShare` is the share of the order
   * undone so far, all such events included: the reversal takes the order to that share, so
   * a return and the refund of the same goods reverse once, and nothing reverses twice.
   */
  async recordRefund(input: RefundEventInput): Promise<RecordedEvent> {
    return this.record("refund", `order:${input.orderId}:refund:${input.refundId}`, { ...input })
  }

  /**
   * The largest share of an order undone by the reversal events recorded for it so far
   * (cancellations, refunds, returns; each carries the order's cumulative undone share at its
   * time, RULES.md §1.5), "0" when there is none. An award that comes after such an event
   * (reordered delivery) reverses this share right away.
   */
  async recordedReversalShare(orderId: string): Promise<string> {
    const [r] = (
      await this.knex().raw(
        `select coalesce(max((payload->>'refundedShare')::numeric), 0)::text as share
           from rewards_event where kind = 'refund' and payload->>'orderId' = ? and deleted_at is null`,
        [orderId]
      )
    ).rows as Row[]
    return r.share
  }

  /**
   * Records an event once (its key is unique) and applies every queued event whose day is
   * open, in one transaction under the program lock: a duplicate or concurrent delivery finds
   * the key taken and changes nothing.
   */
  protected async record(
    kind: "join" | "order" | "refund",
    key: string,
    payload: Row,
    skipReason: string | null = null,
    versions?: ConfigVersion[]
  ): Promise<RecordedEvent> {
    versions ??= await this.configVersions()
    const today = await this.today(versions)
    return this.serialized(() => this.knex().transaction(async (trx) => {
      const program = await lockProgram(trx)
      const open = openDayOf(program)
      // an event never lands on a closed day: a late one counts on the open day
      const day = open !== null && open > today ? open : today
      const inserted = (
        await trx.raw(
          `insert into rewards_event (key, kind, day, payload, status, reason)
           values (?, ?, ?, ?::jsonb, ?, ?)
           on conflict (key) where deleted_at is null do nothing returning *`,
          [key, kind, day, JSON.stringify(payload), skipReason ? "skipped" : "queued", skipReason]
        )
      ).rows[0] as Row | undefined
      if (!inserted) {
        const [prior] = (await trx.raw(`select * from rewards_event where key = ? and deleted_at is null`, [key])).rows
        return { ...toEvent(prior), duplicate: true }
      }
      const applied = await this.applyQueued(trx, versions!, program)
      return { ...toEvent(applied.get(Number(inserted.id)) ?? inserted), duplicate: false }
    }))
  }

  /** Inbox writes of this process, one after another (see {@link serialized}). */
  private inbox_: Promise<unknown> = Promise.resolve()

  /**
   * Runs inbox writes of this process one after another, before they take a pool connection:
   * they all wait for the program lock anyway, and two hundred concurrent `order.placed`
   * handlers would otherwise hold two hundred connections waiting on it and starve every other
   * query of the store (the storefront's writes queue the same way).
   */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.inbox_.then(fn)
    this.inbox_ = run.catch(() => undefined)
    return run
  }

  /**
   * Applies queued events of open days in recording order; the caller holds the program lock
   * (so no event is recorded meanwhile) and passes the program row it read under it. Returns
   * the events applied, as they are now, by id.
   */
  protected async applyQueued(
    trx: Knex.Transaction,
    versions: ConfigVersion[],
    locked: ProgramState & { scale: number }
  ): Promise<Map<number, Row>> {
    const engine = this.engine(versions, trx, locked)
    const store = engine.store as PostgresRewardsStore
    const done = new Map<number, Row>()
    for (;;) {
      const open = openDayOf(await store.currentProgram())
      // before the program's first event every queued event is due, and the first one applied
      // fixes the first business day: one at a time then. Afterwards applying events never
      // moves the open day, so one pass takes every due event.
      const due = (
        await trx.raw(
          `select * from rewards_event where status = 'queued' and deleted_at is null
             ${open === null ? "" : "and day <= ?"} order by id ${open === null ? "limit 1" : ""}`,
          open === null ? [] : [open]
        )
      ).rows as Row[]
      for (const next of due) {
        let status = "applied"
        let reason: string | null = null
        try {
          reason = await this.applyEvent(engine, trx, next, locked.scale)
        } catch (e) {
          if (!(e instanceof RulesError)) throw e
          status = e.code === "duplicate" ? "applied" : "rejected"
          reason = e.message
          if (status === "rejected") this.logger_.warn(`medusa-rewards: ${next.key} rejected: ${e.message}`)
        }
        const [updated] = (
          await trx.raw(
            `update rewards_event set status = ?, reason = ?, applied_at = now(), updated_at = now() where id = ? returning *`,
            [status, reason, next.id]
          )
        ).rows as Row[]
        done.set(Number(next.id), updated)
      }
      if (open !== null || due.length === 0) return done
    }
  }

  /** One event through the engine. Returns a note worth keeping (e.g. a dropped referral). */
  private async applyEvent(engine: RewardsEngine, trx: Knex.Transaction, event: Row, scale: number): Promise<string | null> {
    const p = event.payload as Row
    const day: string = event.day
    switch (event.kind as "join" | "order" | "refund") {
      case "join": {
        let referrerId: string | null = p.referrerId ?? null
        let note: string | null = null
        if (!referrerId && p.referralCode) {
          const [ref] = (
            await trx.raw(`select customer_id from rewards_member where referral_code = ? and deleted_at is null`, [
              normalizeCode(p.referralCode),
            ])
          ).rows
          if (ref) referrerId = ref.customer_id
          else note = `referral_code: ${p.referralCode} is not a member's referral code; joined without a referrer`
        }
        await engine.join({ memberId: p.customerId, referrerId, day })
        return note
      }
      case "order": {
        // read through the engine's store: the award then finds the buyer, its referrer and their
        // balances already read
        const member = await engine.store.transaction((tx) => tx.getMember(p.customerId))
        // a buyer who never joined (a guest, or a customer from before the program) joins now
        if (!member) await engine.join({ memberId: p.customerId, referrerId: null, day })
        await engine.placeOrder({ orderId: p.orderId, memberId: p.customerId, amount: new Dec(p.amount), day })
        return null
      }
      case "refund": {
        const [order] = (
          await trx.raw(
            `select amount::text as amount, (refunded_before + refunded_after)::text as refunded
               from rewards_order where order_id = ? and deleted_at is null`,
            [p.orderId]
          )
        ).rows
        if (!order) {
          throw new RulesError("order", `${p.orderId} has no rewards (never recorded, or skipped)`, "invalid")
        }
        const share = new Dec(p.refundedShare)
        if (share.lt(0) || share.gt(1)) throw new RulesError("refundedShare", "must lie in [0, 1]", "invalid")
        if (share.gte(1)) {
          await engine.refund({ orderId: p.orderId, refundId: p.refundId, day })
          return null
        }
        // cumulative: the order's refunds reach floor(E × share) (RULES.md §1.5, §1.6)
        const target = new Dec(order.amount).times(share).toDecimalPlaces(scale, Dec.ROUND_DOWN)
        const amount = Dec.max(0, target.minus(order.refunded))
        await engine.refund({ orderId: p.orderId, refundId: p.refundId, amount, day })
        return null
      }
    }
  }

  // ---- member and admin operations ----

  /**
   * Runs one engine operation now, on the open business day (a request made while the job has
   * not yet closed yesterday counts on the open day), in one transaction under the program
   * lock. `dryRun` computes the operation with the same engine code and rolls it back: a quote
   * is exactly what the confirmed request will do if nothing changes in between. A rule refusal
   * becomes a 400 naming the field, and writes nothing.
   */
  protected async operate<T>(
    key: (day: string) => string | null,
    fn: (engine: RewardsEngine, day: string) => Promise<T>,
    options: { dryRun?: boolean } = {}
  ): Promise<OperationResult<T>> {
    const versions = await this.configVersions()
    const today = await this.today(versions)
    const rollback = Symbol("dry run")
    let outcome: OperationResult<T> | undefined
    try {
      await this.knex().transaction(async (trx) => {
        const program = await lockProgram(trx)
        const open = openDayOf(program)
        const day = open !== null && open < today ? open : today
        const engine = this.engine(versions, trx, program)
        let result: T
        try {
          result = await fn(engine, day)
        } catch (e) {
          if (e instanceof RulesError) {
            throw new MedusaError(
              e.code === "duplicate" ? MedusaError.Types.DUPLICATE_ERROR : MedusaError.Types.INVALID_DATA,
              e.message
            )
          }
          throw e
        }
        const batchKey = key(day)
        const transfers = batchKey ? await batchTransfers(trx, batchKey, program.scale) : []
        outcome = { day, result, transfers }
        if (options.dryRun) throw rollback
      })
    } catch (e) {
      if (e !== rollback) throw e
    }
    return outcome!
  }

  /** RULES.md §2.3: sells growth points back at the current price; returns the proceeds. */
  async sellGrowthPoints(input: MemberPointsInput, options: { dryRun?: boolean } = {}) {
    const requestId = input.requestId ?? newId("rwsell")
    return this.operate(
      () => `sell:${requestId}`,
      async (engine, day) => {
        const proceeds = await engine.sell({ memberId: input.customerId, points: decimalField("points", input.points), day, requestId })
        return this.amount(proceeds, engine, day)
      },
      options
    )
  }

  /** RULES.md §2.5: converts growth points into stable credit; returns the credit. */
  async convertGrowthPoints(input: MemberPointsInput, options: { dryRun?: boolean } = {}) {
    const requestId = input.requestId ?? newId("rwconv")
    return this.operate(
      () => `convert:${requestId}`,
      async (engine, day) => {
        const credit = await engine.convert({ memberId: input.customerId, points: decimalField("points", input.points), day, requestId })
        return this.amount(credit, engine, day)
      },
      options
    )
  }

  /** RULES.md §5: an admin adjustment of one balance, with a required reason and the admin's id. */
  async adjustBalance(input: AdjustBalanceInput) {
    const requestId = input.requestId ?? newId("rwadj")
    return this.operate(
      () => `adjust:${requestId}`,
      async (engine, day) => {
        await engine.adjust({
          memberId: input.customerId,
          asset: input.asset,
          amount: decimalField("amount", input.amount),
          reason: input.reason,
          day,
          adminId: input.adminId,
          requestId,
        })
        return requestId
      }
    )
  }

  /**
   * Imports members and orders of the open business day in one commit under `key` (an existing
   * customer base, a migration from another system): the same rules as one by one (RULES.md §1.1,
   * §1.2–1.4), all or nothing, and a repeated key imports nothing.
   */
  async importBatch(key: string, items: ImportItem[]) {
    return this.operate(
      () => key,
      async (engine, day) => {
        await engine.importBatch(
          day,
          key,
          items.map((item) =>
            "join" in item
              ? { join: { memberId: item.join.customerId, referrerId: item.join.referrerId ?? null, day } }
              : {
                  order: {
                    orderId: item.order.orderId,
                    memberId: item.order.customerId,
                    amount: decimalField("amount", item.order.amount),
                    day,
                  },
                }
          )
        )
        return items.length
      }
    )
  }

  private amount(atoms: bigint, engine: RewardsEngine, day: string): string {
    return fromAtoms(atoms, engine.configAt(day).config.scale).toFixed()
  }

  // ---- the daily close ----

  /**
   * Closes every finished, unclosed business day, in date order (RULES.md §1.3 catch-up, §6),
   * applying after each close the events that waited for it. Day D is due once the program's
   * local time reaches D+1 at `closeAt` (default 00:05). Returns the days closed.
   *
   * One closer at a time across every process: a PostgreSQL session advisory lock (released by
   * the database if the process dies) guards the loop whatever locking provider the store uses;
   * a caller that finds it taken returns at once with nothing closed. A close that fails records
   * its error on the day run and is retried by the next call; nothing is half-paid, because
   * every batch commits with its transfers under its own key and a resumed close skips them.
   */
  async closeDueDays(): Promise<string[]> {
    const run = this.closing_.then(() => this.closeDueDaysNow())
    this.closing_ = run.catch(() => undefined)
    return run
  }

  private async closeDueDaysNow(): Promise<string[]> {
    await this.startProgram()
    const knex = this.knex()
    const client = (knex as any).client
    const connection = await client.acquireConnection()
    const closed: string[] = []
    try {
      const lock = await connection.query(`select pg_try_advisory_lock(hashtext('medusa-rewards:close-days')) as ok`)
      if (!lock.rows[0].ok) {
        this.logger_.info("medusa-rewards: another process is closing business days; this run closes nothing")
        return closed
      }
      // the closes run on connections of their own: operations that arrive meanwhile wait for the
      // close's gate holding connections of the store's pool, as many as come, and would
      // otherwise leave the close none to go on with
      const closeDb = this.closePool()
      try {
        for (;;) {
          const versions = await this.configVersions()
          const due = await this.lastDueDay(versions)
          const program = await readProgram(knex)
          const open = openDayOf(program)
          if (open === null || open > due) return closed
          try {
            await this.engine(versions, undefined, undefined, closeDb).closeDay(open)
          } catch (e) {
            const message = e instanceof Error ? e.message : String(e)
            await knex.raw(`update rewards_day_run set error = ?, updated_at = now() where day = ? and deleted_at is null`, [
              message,
              open,
            ])
            this.logger_.error(`medusa-rewards: closing business day ${open} failed (it is retried on the next run): ${message}`)
            throw e
          }
          closed.push(open)
          await knex.transaction(async (trx) => {
            await this.applyQueued(trx, versions, await lockProgram(trx))
          })
        }
      } finally {
        await closeDb.destroy()
        await connection.query(`select pg_advisory_unlock(hashtext('medusa-rewards:close-days'))`)
      }
    } finally {
      client.releaseConnection(connection)
    }
  }

  /** A pool of at most CLOSE_POOL_SIZE connections to the store's database, for the day closes. */
  private closePool(): Knex {
    const config = (this.knex() as any).client.config as Knex.Config
    const pool = { ...(config.pool ?? {}), min: 0, max: CLOSE_POOL_SIZE }
    return createKnex({ ...config, pool })
  }

  /** The last business day whose close is due now: yesterday, once today's `closeAt` has passed. */
  protected async lastDueDay(versions: ConfigVersion[]): Promise<string> {
    const [hours, minutes] = (this.options_.closeAt ?? DEFAULT_CLOSE_AT).split(":").map(Number)
    const shifted = new Date(this.clock_().getTime() - (hours * 60 + minutes) * 60_000)
    const latest = versions[versions.length - 1]
    return addDays(businessDayOf(shifted, latest.config.timezone), -1)
  }

  /**
   * The day runs, newest first, with their progress (batches committed per step), timings,
   * error and report in decimals; plus the finished days not closed yet.
   */
  async listDayRuns(page: { limit?: number; offset?: number } = {}): Promise<DayRunsView> {
    await this.startProgram()
    const knex = this.knex()
    const program = await readProgram(knex)
    const scale = program.scale
    const limit = page.limit ?? 20
    const offset = page.offset ?? 0
    const runs = (
      await knex.raw(
        `select r.day, r.step, r.config_version, r.report, r.error, r.started_at, r.finished_at,
                (select count(*)::int from rewards_transfer_batch b where b.key like 'day:' || r.day || ':%') as batches
           from rewards_day_run r where r.deleted_at is null
          order by r.day desc limit ? offset ?`,
        [limit, offset]
      )
    ).rows as Row[]
    const [{ count }] = (await knex.raw(`select count(*)::int as count from rewards_day_run where deleted_at is null`)).rows
    const versions = await this.configVersions()
    const due = await this.lastDueDay(versions)
    const pending: string[] = []
    const open = openDayOf(program)
    for (let d = open; d !== null && d <= due && pending.length < 366; d = nextDay(d)) pending.push(d)
    const dec = (atoms: string) => fromAtoms(BigInt(atoms), scale).toFixed()
    return {
      count,
      limit,
      offset,
      open_day: open,
      last_closed_day: program.lastClosedDay,
      pending_days: pending,
      day_runs: runs.map((r) => ({
        day: r.day,
        status: r.step === "done" ? "closed" : r.error ? "failed" : "running",
        step: r.step,
        config_version: r.config_version,
        batches_committed: r.batches,
        started_at: r.started_at,
        finished_at: r.finished_at,
        duration_ms: r.started_at && r.finished_at ? new Date(r.finished_at).getTime() - new Date(r.started_at).getTime() : null,
        error: r.error ?? null,
        report: r.report
          ? {
              sales: r.report.sales,
              cycle: {
                pro_rata_pool: dec(r.report.cycle.proRataPool),
                tier_pools: r.report.cycle.tierPools.map(dec),
                paid: dec(r.report.cycle.paid),
                returned: dec(r.report.cycle.returned),
              },
              release: {
                base: dec(r.report.release.base),
                share: dec(r.report.release.share),
                team: dec(r.report.release.team),
                peer: dec(r.report.release.peer),
                forfeited: dec(r.report.release.forfeited),
              },
              growth: { exits: r.report.growth.exits, exit_proceeds: dec(r.report.growth.exitProceeds) },
            }
          : null,
      })),
    }
  }

  // ---- reads ----

  /** A member by customer id, with its referral code (null if the customer never joined). */
  async getMemberByCustomerId(customerId: string): Promise<Row | null> {
    const [m] = (await this.knex().raw(`select * from rewards_member_now where customer_id = ?`, [customerId])).rows
    return m ?? null
  }

  /** Balances of an account as decimals (weight in whole units), asset → amount. */
  async getAccountBalances(account: string): Promise<Record<string, string>> {
    const scale = await this.scale()
    const out: Record<string, string> = {}
    const put = (asset: string, amount: string) => {
      if (BigInt(amount) !== 0n) out[asset] = asset === "WEIGHT" ? amount : fromAtoms(BigInt(amount), scale).toFixed()
    }
    if (account.startsWith("m:")) {
      // a member: its day snapshot and what operations changed since
      const [m] = (
        await this.knex().raw(`select ${BALANCE_COLUMNS.map((c) => `${c}::text as ${c}`).join(", ")} from rewards_member_now where customer_id = ?`, [
          account.slice(2),
        ])
      ).rows as Row[]
      if (m) MEMBER_ASSETS.forEach((a, i) => put(a, m[BALANCE_COLUMNS[i]]))
      return out
    }
    const list = (
      await this.knex().raw(`select asset, amount::text as amount from rewards_balance where account = ? and deleted_at is null`, [account])
    ).rows as Row[]
    for (const r of list) put(r.asset, r.amount)
    return out
  }

  /** The program's decimals (fixed when it started). */
  async scale(): Promise<number> {
    await this.startProgram()
    return (await readProgram(this.knex())).scale
  }

  /** RULES.md §1.8 on the live tables (see {@link auditDatabase}). */
  async audit(): Promise<AuditResult & { accounts: number }> {
    return auditDatabase(this.knex())
  }

  /** What the program holds and owes, for the demo and a quick look (decimal strings). */
  async getSummary(): Promise<RewardsSummary> {
    await this.startProgram()
    const knex = this.knex()
    const program = await readProgram(knex)
    const scale = program.scale
    const dec = (atoms: string | null | undefined) => fromAtoms(BigInt(atoms ?? "0"), scale).toFixed()
    const sys = async (account: string, asset: string) =>
      (
        await knex.raw(`select amount::text as amount from rewards_balance where account = ? and asset = ? and deleted_at is null`, [
          account,
          asset,
        ])
      ).rows[0]?.amount ?? "0"
    const byReason = async (reasons: string[]) => (await reasonTotal(knex, reasons)).toString()
    // what members hold: minus what the system accounts hold (every asset sums to zero, RULES.md §1.8)
    const memberSum = async (asset: string) =>
      (
        -BigInt(
          (
            await knex.raw(
              `select coalesce(sum(amount), 0)::text as total from rewards_balance
                where asset = ? and account like 'sys:%' and deleted_at is null`,
              [asset]
            )
          ).rows[0].total
        )
      ).toString()
    const count = async (table: string) =>
      Number((await knex.raw(`select count(*)::int as n from ${table} where deleted_at is null`)).rows[0].n)
    const issued = -BigInt(await sys(SYSTEM.issuance, "GROWTH"))
    const burned = BigInt(await sys(SYSTEM.burned, "GROWTH"))
    return {
      members: await count("rewards_member"),
      orders: await count("rewards_order"),
      openDay: openDayOf(program),
      lastClosedDay: program.lastClosedDay,
      growth: {
        pool: dec(await sys(SYSTEM.growthPool, "MONEY")),
        supply: fromAtoms(issued - burned, scale).toFixed(),
        price: program.growthPrice.toFixed(),
      },
      cycle: { pool: dec(await sys(SYSTEM.cyclePool, "MONEY")), paid: dec(await byReason(["cycle.payout"])) },
      release: {
        locked: dec(await memberSum("POINTS_LOCKED")),
        released: dec(await byReason(["release.base.points", "release.acceleration.points"])),
      },
      credit: dec(await memberSum("CREDIT")),
    }
  }

  // ---- admin (issue 5) ----
  // Reads live in admin-queries.ts (SQL over the module's knex); these methods add the program
  // state they need and keep every write on the engine's or saveConfigVersion's path.

  /** Versions newest first (who saved what, acknowledgements), the defaults and the current day. */
  async adminConfigState() {
    await this.startProgram()
    const knex = this.knex()
    const versions = await adminQ.listConfigVersions(knex)
    const program = await readProgram(knex)
    const today = await this.today()
    const open = openDayOf(program)
    return {
      versions,
      defaults: serializeProgramConfig(defaultProgramConfig()),
      today,
      openDay: open,
      // what saveConfigVersion will choose now
      nextEffectiveFrom: open === null ? null : nextDay(open > today ? open : today),
      teamRewardsAcknowledged: adminQ.teamRewardsAcknowledged(versions),
    }
  }

  /**
   * Saves a draft as a new version (saveConfigVersion: from the next business day). A draft that
   * turns team rewards on (RULES.md §4.4–4.5) needs the merchant's acknowledgement of the legal
   * notice of §10 unless the versions since they were last turned on already carry one; it is
   * recorded on the new version. Invalid input throws {@link adminQ.AdminInputError} and saves nothing.
   */
  async adminSaveConfig(
    draft: unknown,
    by: { createdBy: string; note?: string; acknowledgement?: adminQ.Acknowledgement | null }
  ): Promise<adminQ.ConfigVersionRow> {
    const issues = adminQ.configIssues(draft)
    if (issues.length > 0) throw new adminQ.AdminInputError(issues)
    const config = parseProgramConfig(draft)
    await this.startProgram()
    const knex = this.knex()
    const needsAck = config.schemes.release.teamRewardsEnabled && !adminQ.teamRewardsAcknowledged(await adminQ.listConfigVersions(knex))
    if (needsAck && !by.acknowledgement) {
      throw new adminQ.AdminInputError([
        { field: "acknowledgement", rule: "turning team rewards on requires acknowledging the legal notice (RULES.md §10)" },
      ])
    }
    let saved: ConfigVersion
    try {
      saved = await this.saveConfigVersion(draft, { createdBy: by.createdBy, note: by.note })
    } catch (e) {
      throw adminQ.AdminInputError.from(e)
    }
    if (config.schemes.release.teamRewardsEnabled && by.acknowledgement) {
      try {
        await adminQ.recordAcknowledgement(knex, saved.version, by.acknowledgement)
      } catch (e) {
        // team rewards never run without the acknowledgement on record
        await adminQ.withdrawVersion(knex, saved.version)
        throw e
      }
    }
    return (await adminQ.listConfigVersions(knex)).find((v) => v.version === saved.version)!
  }

  async adminListMembers(input: adminQ.MemberListInput) {
    return adminQ.listMembers(this.knex(), await this.scale(), input)
  }

  /** Referral codes or customer ids equal to `q` (the route adds the Customer module's search). */
  async adminMembersMatching(q: string): Promise<string[]> {
    return adminQ.membersMatching(this.knex(), q)
  }

  async adminMemberDetail(customerId: string) {
    const versions = await this.configVersions()
    const cfg = configVersionAt(versions, await this.today(versions)).config
    return adminQ.memberDetail(this.knex(), await this.scale(), customerId, cfg)
  }

  /** RULES.md §1.1: an admin changes a member's referrer (engine.changeReferrer); 400 on a refusal. */
  async adminChangeReferrer(input: { customerId: string; referrerId: string | null; adminId: string; requestId?: string }) {
    const requestId = input.requestId ?? newId("rwref")
    return this.operate(
      () => null,
      async (engine, day) => {
        await engine.changeReferrer({ memberId: input.customerId, referrerId: input.referrerId, day, adminId: input.adminId, requestId })
        return requestId
      }
    )
  }

  async adminListTransfers(filter: adminQ.LedgerFilter, page: { cursor?: string; limit: number }) {
    return adminQ.listTransfers(this.knex(), await this.scale(), filter, page)
  }

  async adminExportTransfers(filter: adminQ.LedgerFilter, write: (chunk: string) => Promise<void> | void): Promise<number> {
    return adminQ.exportTransfersCsv(this.knex(), await this.scale(), filter, write)
  }

  /** Per-day figures of [from, to] and the obligations report (RULES.md §6, §10). */
  async adminDashboard(range: { from: string; to: string }) {
    const versions = await this.configVersions()
    const today = await this.today(versions)
    const cfg = configVersionAt(versions, today).config
    const knex = this.knex()
    const program = await readProgram(knex)
    const scale = program.scale
    return {
      currency: cfg.currency,
      schemes: { growth: cfg.schemes.growth.enabled, cycle: cfg.schemes.cycle.enabled, release: cfg.schemes.release.enabled },
      days: await adminQ.dashboardDays(knex, scale, range.from, range.to),
      obligations: await adminQ.obligations(knex, scale, cfg, program.growthPrice, {
        openDay: openDayOf(program),
        lastClosedDay: program.lastClosedDay,
      }),
    }
  }

  /** The configuration governing today, and the member base a forecast starts from. */
  async adminForecastSource(): Promise<{ config: ProgramConfig; today: string; base: AsyncIterable<adminQ.BaseMember[]> }> {
    const versions = await this.configVersions()
    const today = await this.today(versions)
    return { config: configVersionAt(versions, today).config, today, base: adminQ.forecastBase(this.knex()) }
  }

  // ---- storefront (issue 6) ----
  // The member's reads and the checkout's ledger operations live in storefront.ts; it gets the
  // module's knex, configuration, clock and engine from here.

  private storefront__?: RewardsStorefront

  /** The member-facing side of the module (src/modules/rewards/storefront.ts). */
  storefront(): RewardsStorefront {
    this.storefront__ ??= new RewardsStorefront({
      knex: () => this.knex(),
      versions: () => this.configVersions(),
      today: (versions) => this.today(versions),
      engine: (versions, trx) => this.engine(versions, trx),
      options: () => this.options_,
    })
    return this.storefront__
  }

  /** Every balance of the member with its meaning (404 when the customer never joined). */
  async getMemberRewards(customerId: string) {
    return this.storefront().memberRewards(customerId)
  }

  /** The member's transfers, newest first, keyset-paginated on the transfer id. */
  async listMemberTransfers(customerId: string, page: { limit: number; cursor?: string | null; asset?: string | null }) {
    return this.storefront().memberTransfers(customerId, page)
  }

  async getMemberReferral(customerId: string) {
    return this.storefront().referral(customerId)
  }

  async getMemberTeam(customerId: string) {
    return this.storefront().team(customerId)
  }

  async getMemberGrowth(customerId: string) {
    return this.storefront().growth(customerId)
  }
}

// ---- helpers ----

const readProgram = (db: Knex | Knex.Transaction) => readProgramState(db)

/**
 * Takes the program lock: every writer of the rewards tables takes it first (after the day
 * close's gate: a writer waits while a day closes, readProgramState).
 */
function lockProgram(trx: Knex.Transaction) {
  return readProgramState(trx, true)
}

/** The transfers a batch wrote, as decimals (weight in whole units). */
async function batchTransfers(trx: Knex.Transaction, key: string, scale: number): Promise<TransferView[]> {
  const list = (
    await trx.raw(
      `select t.asset, t.debit, t.credit, t.amount::text as amount, t.reason
         from rewards_transfer t join rewards_transfer_batch b on b.id = t.batch_id
        where b.key = ? order by t.id`,
      [key]
    )
  ).rows as Row[]
  return list.map((t) => ({
    asset: t.asset,
    debit: t.debit,
    credit: t.credit,
    amount: t.asset === "WEIGHT" ? t.amount : fromAtoms(BigInt(t.amount), scale).toFixed(),
    reason: t.reason,
  }))
}

function decimalField(field: string, value: unknown): Dec {
  try {
    const d = new Dec(value as string)
    if (d.isFinite()) return d
  } catch {
    // reported below
  }
  throw new MedusaError(MedusaError.Types.INVALID_DATA, `${field}: must be a decimal number`)
}

function toEvent(r: Row): Omit<RecordedEvent, "duplicate"> {
  return { id: Number(r.id), key: r.key, kind: r.kind, day: r.day, status: r.status, reason: r.reason ?? null }
}

/** Codes are shown upper-case; a shopper may type them in any case, with spaces. */
export function normalizeCode(code: string): string {
  return String(code).replace(/\s+/g, "").toUpperCase()
}

function newId(prefix: string): string {
  return generateEntityId(undefined, prefix)
}
