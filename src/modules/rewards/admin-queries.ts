/**
 * The admin's reads (issue 5): members, the ledger explorer, the dashboard and the
 * obligations report of RULES.md §10, and the member base a forecast starts from. Plain SQL
 * over the module's own tables (module isolation: customers' names, emails and phones are
 * read through the Customer module by the API routes, never joined here). Every function
 * takes the module's knex; amounts leave as decimal strings (atoms of 10^-scale turned into
 * decimals, weight in whole units).
 */
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { ConfigError, parseProgramConfig, type ProgramConfig } from "../../engine/config"
import { Dec, fromAtoms } from "../../engine/decimal"
import { MEMBER_ASSETS, SYSTEM } from "../../engine/ledger"
import { type LedgerQuery, type LedgerTransfer, ledgerPage } from "./ledger-read"
import { BALANCE_COLUMNS } from "./member-days"
import { RulesError } from "../../engine/errors"
import { MedusaError } from "@medusajs/framework/utils"

type Row = Record<string, any>

async function rows(db: Knex, sql: string, bindings: readonly unknown[] = []): Promise<Row[]> {
  return (await db.raw(sql, bindings as Knex.RawBinding[])).rows as Row[]
}

const LIVE = "deleted_at is null"

/** Atoms → decimal string (weight is kept in whole units, not atoms). */
export function amountOf(asset: string, atoms: string | bigint | null | undefined, scale: number): string {
  const a = BigInt(atoms ?? 0)
  return asset === "WEIGHT" ? a.toString() : fromAtoms(a, scale).toFixed()
}

/**
 * Bad admin input with every field it names (RULES.md §1.9: "a rejection names the field and
 * the rule broken"). The admin routes answer 400 with `issues`.
 */
export class AdminInputError extends MedusaError {
  constructor(readonly issues: { field: string; rule: string }[]) {
    super(MedusaError.Types.INVALID_DATA, issues.map((i) => `${i.field}: ${i.rule}`).join("; "))
  }

  /**
   * A refusal of the service or the engine (`MedusaError` INVALID_DATA "<field>: <rule>",
   * a RulesError, a ConfigError) as an AdminInputError; anything else unchanged.
   */
  static from(e: unknown): unknown {
    if (e instanceof AdminInputError) return e
    if (e instanceof ConfigError) return new AdminInputError(e.issues)
    if (e instanceof RulesError) return new AdminInputError([{ field: e.field, rule: e.rule }])
    if (e instanceof MedusaError && (e.type === MedusaError.Types.INVALID_DATA || e.type === MedusaError.Types.DUPLICATE_ERROR)) {
      const at = e.message.indexOf(": ")
      return new AdminInputError([at > 0 ? { field: e.message.slice(0, at), rule: e.message.slice(at + 2) } : { field: "body", rule: e.message }])
    }
    return e
  }
}

// ---------------------------------------------------------------------------------------
// Configuration versions
// ---------------------------------------------------------------------------------------

/** What a merchant acknowledged before turning team rewards on (RULES.md §10). */
export interface Acknowledgement {
  by: string
  at: string
  noticeVersion: string
  locale: string | null
}

export interface ConfigVersionRow {
  version: number
  effectiveFrom: string | null
  createdAt: string
  createdBy: string | null
  note: string | null
  acknowledgement: Acknowledgement | null
  /** As stored (serializeProgramConfig: decimals as strings). */
  config: Record<string, unknown>
}

/** Every version, newest first, with who saved it and any acknowledgement. */
export async function listConfigVersions(knex: Knex): Promise<ConfigVersionRow[]> {
  const list = await rows(
    knex,
    `select version, effective_from, created_at, created_by, note, acknowledgement, config
       from rewards_config_version where ${LIVE} order by version desc`
  )
  return list.map((r) => ({
    version: r.version,
    effectiveFrom: r.effective_from,
    createdAt: new Date(r.created_at).toISOString(),
    createdBy: r.created_by,
    note: r.note,
    acknowledgement: r.acknowledgement ?? null,
    config: r.config,
  }))
}

/** Records the acknowledgement on a saved version. */
export async function recordAcknowledgement(knex: Knex, version: number, ack: Acknowledgement): Promise<void> {
  await knex.raw(`update rewards_config_version set acknowledgement = ?::jsonb, updated_at = now() where version = ? and ${LIVE}`, [
    JSON.stringify(ack),
    version,
  ])
}

/** Withdraws a version whose acknowledgement could not be recorded (nothing may run without it). */
export async function withdrawVersion(knex: Knex, version: number): Promise<void> {
  await knex.raw(`update rewards_config_version set deleted_at = now() where version = ? and ${LIVE}`, [version])
}

/**
 * Whether team rewards are on in the newest version with an acknowledgement recorded since they
 * were last turned on (RULES.md §10): then a draft that keeps them on needs no new one.
 */
export function teamRewardsAcknowledged(versionsNewestFirst: ConfigVersionRow[]): boolean {
  for (const v of versionsNewestFirst) {
    const release = ((v.config.schemes as Row | undefined)?.release ?? {}) as Row
    if (release.teamRewardsEnabled !== true) return false
    if (v.acknowledgement) return true
  }
  return false
}

/** The draft's field errors from the one config schema (RULES.md §1.9); [] when valid. */
export function configIssues(draft: unknown): { field: string; rule: string }[] {
  try {
    parseProgramConfig(draft)
    return []
  } catch (e) {
    if (e instanceof ConfigError) return e.issues
    throw e
  }
}

// ---------------------------------------------------------------------------------------
// Members
// ---------------------------------------------------------------------------------------

export const SORTABLE_BALANCES = ["CREDIT", "POINTS", "POINTS_LOCKED", "GROWTH", "QUOTA", "WEIGHT", "EXIT_CAP"] as const
export type SortableBalance = (typeof SORTABLE_BALANCES)[number]

export interface MemberListInput {
  /** Restrict to these customers (the route's search result); undefined = everyone. */
  customerIds?: string[]
  /** Sort by a balance, or by join order (`joined`). */
  sort: SortableBalance | "joined"
  order: "asc" | "desc"
  limit: number
  offset: number
}

export interface MemberListRow {
  customerId: string
  referralCode: string
  referrerId: string | null
  joinedDay: string
  level: number | null
  starLevel: number
  hasOrders: boolean
  balances: Record<string, string>
}

/**
 * Members with their balances, sorted by one balance (ties by join order) or by join order.
 * Offset pagination: the list is for people, a page at a time. Sorting by a balance is a top-N
 * sort over every member's current balance (`rewards_member_now`: no index on amounts, the day
 * close writes them as one snapshot per day).
 */
export async function listMembers(knex: Knex, scale: number, input: MemberListInput): Promise<{ count: number; members: MemberListRow[] }> {
  // rewards_member_now holds live members only
  const filter = input.customerIds ? `m.customer_id = any(?::text[])` : "true"
  const bind: unknown[] = input.customerIds ? [input.customerIds] : []
  const [{ count }] = await rows(knex, `select count(*)::int as count from rewards_member m where m.${LIVE} and ${filter}`, bind)
  const dir = input.order === "asc" ? "asc" : "desc"
  const sortBy = input.sort === "joined" ? "" : `m.${BALANCE_COLUMNS[MEMBER_ASSETS.indexOf(input.sort as (typeof MEMBER_ASSETS)[number])]} ${dir}, `
  const page = await rows(
    knex,
    input.sort === "joined"
      ? `select m.* from rewards_member_now m
          where m.seq in (select x.seq from rewards_member x where x.${LIVE} and ${filter.replace("m.", "x.")} order by x.seq ${dir} limit ? offset ?)
          order by m.seq ${dir}`
      : `select m.* from rewards_member_now m where ${filter} order by ${sortBy}m.seq asc limit ? offset ?`,
    [...bind, input.limit, input.offset]
  )
  const balances = await balancesOf(
    knex,
    scale,
    page.map((m) => m.customer_id)
  )
  return {
    count,
    members: page.map((m) => ({
      customerId: m.customer_id,
      referralCode: m.referral_code,
      referrerId: m.referrer_id,
      joinedDay: m.joined_day,
      level: m.level,
      starLevel: m.star_level,
      hasOrders: m.has_orders,
      balances: balances.get(m.customer_id)!,
    })),
  }
}

/** Every member asset of each customer now (its day snapshot and what operations changed since). */
async function balancesOf(knex: Knex, scale: number, customerIds: string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>()
  for (const id of customerIds) out.set(id, Object.fromEntries(MEMBER_ASSETS.map((a) => [a, "0"])))
  if (customerIds.length === 0) return out
  const list = await rows(
    knex,
    `select customer_id, ${BALANCE_COLUMNS.map((c) => `${c}::text as ${c}`).join(", ")} from rewards_member_now where customer_id = any(?::text[])`,
    [customerIds]
  )
  for (const r of list) {
    const b = out.get(r.customer_id)
    if (b) MEMBER_ASSETS.forEach((a, i) => (b[a] = amountOf(a, r[BALANCE_COLUMNS[i]], scale)))
  }
  return out
}

/** Customer ids of members whose referral code is `code` (exact, normalised) or whose customer id is `q`. */
export async function membersMatching(knex: Knex, q: string): Promise<string[]> {
  const code = q.replace(/\s+/g, "").toUpperCase()
  const list = await rows(
    knex,
    `select customer_id from rewards_member where (referral_code = ? or customer_id = ?) and ${LIVE} limit 50`,
    [code, q.trim()]
  )
  return list.map((r) => r.customer_id)
}

export interface MemberDetail extends MemberListRow {
  depth: number
  referrerCode: string | null
  directDownline: number
  totalDownline: number
  netSpend: string
  purchaseWeight: string
  referralWeight: string
  adminWeight: string
  /** As computed by the last day close (RULES.md §4.4): what the star level is based on. */
  teamPerformance: string
  /**
   * RULES.md §7 / §1.2: the downline's matured orders net of refunds, now, split into the part
   * paid with money and the part paid with stable credit or released points.
   */
  team: { cash: string; points: string; total: string }
}

/**
 * One member, for the customer page. The downline is walked with a recursive query on the
 * referrer index (a root of a very large tree costs one walk of its tree).
 *
 * Decision (RULES.md §7 "cash part and points part"): an order's points part is
 * items × min(1, (credit used + points used × pointValue) ÷ total) (the part §1.2 spreads over
 * the items), in the program currency at the order's exchange rate, times the share of the
 * order not refunded; its cash part is the rest of its net amount. Read from the order's
 * recorded figures (the inbox event) and the pointValue of `cfg`.
 */
export async function memberDetail(knex: Knex, scale: number, customerId: string, cfg: ProgramConfig): Promise<MemberDetail | null> {
  const [m] = await rows(
    knex,
    `select m.*, r.referral_code as referrer_code,
            (select count(*)::int from rewards_member c where c.referrer_id = m.customer_id and c.${LIVE}) as direct_downline
       from rewards_member_now m
       left join rewards_member r on r.customer_id = m.referrer_id and r.${LIVE}
      where m.customer_id = ?`,
    [customerId]
  )
  if (!m) return null
  const rates: Record<string, string> = { [cfg.currency]: "1" }
  for (const [code, rate] of Object.entries(cfg.exchangeRates)) rates[code] = rate.toFixed()
  const [team] = await rows(
    knex,
    `with recursive down as (
       select customer_id from rewards_member where referrer_id = ? and ${LIVE}
       union all
       select c.customer_id from rewards_member c join down d on c.referrer_id = d.customer_id where c.${LIVE}
     ),
     orders as (
       select o.matured - o.refunded_after as net,
              case when o.matured > 0 then (o.matured - o.refunded_after) / o.matured else 0 end as kept,
              e.payload->'figures' as f
         from down d
         join rewards_order o on o.member_id = d.customer_id and o.status = 'matured' and o.${LIVE}
         left join rewards_event e on e.key = 'order:' || o.order_id || ':placed' and e.${LIVE}
     )
     select (select count(*)::int from down) as total_downline,
            coalesce(sum(net), 0)::text as net,
            coalesce(sum(
              case when f is null or coalesce((f->>'total')::numeric, 0) <= 0 then 0
                   else (f->>'items')::numeric
                        * least(1, ((f->>'creditUsed')::numeric + (f->>'pointsUsed')::numeric * ?::numeric) / (f->>'total')::numeric)
                        * coalesce((?::jsonb->>upper(f->>'currencyCode'))::numeric, 0)
                        * kept
              end), 0)::text as points_part
       from orders`,
    [customerId, cfg.schemes.release.pointValue.toFixed(), JSON.stringify(rates)]
  )
  const net = new Dec(team.net)
  const pointsPart = new Dec(team.points_part).toDecimalPlaces(scale, Dec.ROUND_DOWN)
  // with rewardCreditPayments the net amounts include the points part; without, they are cash only
  const cash = cfg.rewardCreditPayments ? Dec.max(0, net.minus(pointsPart)) : net
  const balances = (await balancesOf(knex, scale, [customerId])).get(customerId)!
  return {
    customerId: m.customer_id,
    referralCode: m.referral_code,
    referrerId: m.referrer_id,
    referrerCode: m.referrer_code ?? null,
    joinedDay: m.joined_day,
    level: m.level,
    starLevel: m.star_level,
    hasOrders: m.has_orders,
    depth: m.depth,
    balances,
    directDownline: m.direct_downline,
    totalDownline: team.total_downline,
    netSpend: new Dec(m.net_spend).toFixed(),
    purchaseWeight: new Dec(m.purchase_weight).toFixed(0),
    referralWeight: new Dec(m.referral_weight).toFixed(0),
    adminWeight: new Dec(m.admin_weight).toFixed(0),
    teamPerformance: new Dec(m.team_performance).toFixed(),
    team: { cash: cash.toFixed(), points: pointsPart.toFixed(), total: cash.plus(pointsPart).toFixed() },
  }
}

// ---------------------------------------------------------------------------------------
// Ledger explorer
// ---------------------------------------------------------------------------------------

export interface LedgerFilter {
  /** A customer id: transfers of its member account. */
  member?: string
  asset?: string
  reason?: string
  day?: string
  /** A Medusa order id: the batches of its award and refunds. */
  order?: string
}

/** A transfer as the explorer lists it: amounts as decimals, the batch key, an ISO timestamp. */
export interface LedgerRow extends Pick<LedgerTransfer, "id" | "source" | "configVersion" | "day" | "asset" | "debit" | "credit" | "amount" | "reason"> {
  batchKey: string
  createdAt: string
}

/**
 * A ledger filter as a ledger-read query: member → its seq, day → the day's batch-id range
 * (strict day order keeps a day's batches contiguous), order → its batches by exact key. Null
 * when the filter matches nothing.
 */
async function ledgerQuery(knex: Knex, f: LedgerFilter): Promise<Omit<LedgerQuery, "limit" | "before"> | null> {
  const q: Omit<LedgerQuery, "limit" | "before"> = { asset: f.asset, reason: f.reason }
  if (f.member) {
    const [m] = await rows(knex, `select seq from rewards_member where customer_id = ? and ${LIVE}`, [f.member])
    if (!m) return null
    q.member = { customerId: f.member, seq: m.seq }
  }
  if (f.day) {
    const [range] = await rows(
      knex,
      `select min(id) as lo, max(id) as hi from rewards_transfer_batch where day = ? and ${LIVE}`,
      [f.day]
    )
    if (range.lo === null) return null
    q.day = { day: f.day, lo: range.lo, hi: range.hi }
  }
  if (f.order) {
    const [o] = await rows(knex, `select refund_ids from rewards_order where order_id = ? and ${LIVE}`, [f.order])
    const keys = [`order:${f.order}:award`, ...((o?.refund_ids ?? []) as string[]).map((r) => `order:${f.order}:refund:${r}`)]
    const batches = await rows(knex, `select id from rewards_transfer_batch where key = any(?::text[]) and ${LIVE}`, [keys])
    if (batches.length === 0) return null
    q.batchIds = batches.map((b) => b.id)
  }
  return q
}

/**
 * One page of transfers, newest first, after `cursor` (the last id of the previous page):
 * keyset pagination over the operations' transfers and the day closes' postings alike
 * (ledger-read.ts), so page 1 000 costs what page 1 costs.
 */
export async function listTransfers(
  knex: Knex,
  scale: number,
  filter: LedgerFilter,
  page: { cursor?: string; limit: number }
): Promise<{ transfers: LedgerRow[]; nextCursor: string | null }> {
  const q = await ledgerQuery(knex, filter)
  if (!q) return { transfers: [], nextCursor: null }
  const list = await ledgerPage(knex, { ...q, before: page.cursor ?? null, limit: page.limit + 1 })
  const more = list.length > page.limit
  const transfers = list.slice(0, page.limit).map((t) => toLedgerRow(t, scale))
  return { transfers, nextCursor: more ? transfers[transfers.length - 1].id : null }
}

function toLedgerRow(t: LedgerTransfer, scale: number): LedgerRow {
  return {
    id: t.id,
    batchKey: t.key,
    source: t.source,
    configVersion: t.configVersion,
    day: t.day,
    asset: t.asset,
    debit: t.debit,
    credit: t.credit,
    amount: amountOf(t.asset, t.amount, scale),
    reason: t.reason,
    createdAt: new Date(t.createdAt).toISOString(),
  }
}

export const CSV_COLUMNS = ["id", "day", "batchKey", "source", "configVersion", "asset", "debit", "credit", "amount", "reason", "createdAt"] as const

function csvCell(v: unknown): string {
  const s = String(v ?? "")
  return /[",\r\n]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/**
 * Every transfer of a filter as CSV lines (header first), page by page on the same keyset:
 * memory stays flat whatever the ledger's size. `write` may return a promise (back-pressure).
 */
export async function exportTransfersCsv(
  knex: Knex,
  scale: number,
  filter: LedgerFilter,
  write: (chunk: string) => Promise<void> | void,
  pageSize = 5_000
): Promise<number> {
  await write(CSV_COLUMNS.join(",") + "\r\n")
  let cursor: string | undefined
  let n = 0
  for (;;) {
    const { transfers, nextCursor } = await listTransfers(knex, scale, filter, { cursor, limit: pageSize })
    if (transfers.length > 0) {
      await write(transfers.map((t) => CSV_COLUMNS.map((c) => csvCell(t[c])).join(",")).join("\r\n") + "\r\n")
      n += transfers.length
    }
    if (!nextCursor) return n
    cursor = nextCursor
  }
}

// ---------------------------------------------------------------------------------------
// Dashboard
// ---------------------------------------------------------------------------------------

export interface DashboardDay {
  day: string
  sales: string
  growth: { inflow: string; payouts: string; pool: string; supply: string; price: string; exits: number }
  cycle: { inflow: string; paid: string; returned: string }
  release: { base: string; share: string; team: string; peer: string; released: string; forfeited: string }
}

/** Transfers that move the growth pool or the supply, by reason (the reason index serves them). */
const GROWTH_REASONS = [
  "growth.contribution",
  "growth.sell.proceeds",
  "growth.exit.proceeds",
  "growth.issue.buyer",
  "growth.issue.referrer",
  "growth.sell",
  "growth.exit",
  "refund.reverse",
  "admin.adjust",
]

/**
 * Per business day in [from, to] (closed days from their day report, RULES.md §6 step 5; the
 * growth pool, supply and price at the end of each day from the ledger): pool inflows, payouts,
 * returns and forfeits per scheme. The growth figures walk back from today's balances through
 * the flows of the days after each day, so only the range's transfers are read.
 */
export async function dashboardDays(knex: Knex, scale: number, from: string, to: string): Promise<DashboardDay[]> {
  const runs = await rows(
    knex,
    `select day, report from rewards_day_run where day between ? and ? and step = 'done' and report is not null and ${LIVE} order by day`,
    [from, to]
  )
  const [first] = await rows(
    knex,
    `select min(t.id) as lo
       from rewards_transfer t
      where t.batch_id = (select min(id) from rewards_transfer_batch where day >= ? and ${LIVE})`,
    [from]
  )
  const flows = new Map<string, { pool: bigint; supply: bigint; inflow: bigint; payouts: bigint }>()
  if (first?.lo !== null && first?.lo !== undefined) {
    const list = await rows(
      knex,
      `select t.day, t.reason, t.asset, t.debit, t.credit, sum(t.amount)::text as amount
         from rewards_transfer t
        where t.reason = any(?::text[]) and t.id >= ? and t.${LIVE} and t.asset in ('MONEY', 'GROWTH')
          and (t.debit in (?, ?) or t.credit in (?, ?, ?))
        group by 1, 2, 3, 4, 5`,
      [GROWTH_REASONS, first.lo, SYSTEM.growthPool, SYSTEM.issuance, SYSTEM.growthPool, SYSTEM.issuance, SYSTEM.burned]
    )
    for (const r of list) {
      const f = flows.get(r.day) ?? { pool: 0n, supply: 0n, inflow: 0n, payouts: 0n }
      const a = BigInt(r.amount)
      if (r.asset === "MONEY") {
        if (r.credit === SYSTEM.growthPool) {
          f.pool += a
          f.inflow += a
        }
        if (r.debit === SYSTEM.growthPool) {
          f.pool -= a
          f.payouts += a
        }
      } else {
        if (r.debit === SYSTEM.issuance) f.supply += a
        if (r.credit === SYSTEM.issuance) f.supply -= a
        if (r.credit === SYSTEM.burned) f.supply -= a
      }
      flows.set(r.day, f)
    }
  }
  const totals = await growthTotalsNow(knex)
  // end of day D = now − the flows of every later day
  const later = [...flows.keys()].sort().reverse()
  const endOf = new Map<string, { pool: bigint; supply: bigint }>()
  let pool = totals.pool
  let supply = totals.supply
  const days = runs.map((r) => r.day as string)
  let i = 0
  for (const d of [...days].sort().reverse()) {
    while (i < later.length && later[i] > d) {
      pool -= flows.get(later[i])!.pool
      supply -= flows.get(later[i])!.supply
      i++
    }
    endOf.set(d, { pool, supply })
  }
  let lastPrice: Dec | null = null
  return runs.map((r) => {
    const rep = r.report as Row
    const end = endOf.get(r.day)!
    const f = flows.get(r.day)
    const price: Dec | null =
      end.supply > 0n ? new Dec(end.pool.toString()).div(end.supply.toString()).toDecimalPlaces(12, Dec.ROUND_FLOOR) : lastPrice
    lastPrice = price
    const dec = (a: bigint | string) => fromAtoms(BigInt(a), scale).toFixed()
    const cycleIn = [rep.cycle.proRataPool, ...rep.cycle.tierPools].reduce((s: bigint, x: string) => s + BigInt(x), 0n)
    const released = BigInt(rep.release.base) + BigInt(rep.release.share) + BigInt(rep.release.team) + BigInt(rep.release.peer) - BigInt(rep.release.forfeited)
    return {
      day: r.day,
      sales: new Dec(rep.sales).toFixed(),
      growth: {
        inflow: dec(f?.inflow ?? 0n),
        payouts: dec(f?.payouts ?? 0n),
        pool: dec(end.pool),
        supply: dec(end.supply),
        price: price ? price.toFixed() : "0",
        exits: rep.growth.exits,
      },
      cycle: { inflow: dec(cycleIn), paid: dec(rep.cycle.paid), returned: dec(rep.cycle.returned) },
      release: {
        base: dec(rep.release.base),
        share: dec(rep.release.share),
        team: dec(rep.release.team),
        peer: dec(rep.release.peer),
        released: dec(released),
        forfeited: dec(rep.release.forfeited),
      },
    }
  })
}

/** Σ over system accounts of each asset: minus what members hold in total (RULES.md §1.8 invariant 2). */
async function systemTotals(knex: Knex): Promise<Map<string, bigint>> {
  const list = await rows(
    knex,
    `select asset, sum(amount)::text as amount from rewards_balance where account like 'sys:%' and ${LIVE} group by asset`
  )
  return new Map(list.map((r) => [r.asset as string, BigInt(r.amount)]))
}

async function systemBalance(knex: Knex, account: string, asset: string): Promise<bigint> {
  const [r] = await rows(knex, `select amount::text as amount from rewards_balance where account = ? and asset = ? and ${LIVE}`, [
    account,
    asset,
  ])
  return BigInt(r?.amount ?? 0)
}

async function growthTotalsNow(knex: Knex): Promise<{ pool: bigint; supply: bigint; treasury: bigint }> {
  const pool = await systemBalance(knex, SYSTEM.growthPool, "MONEY")
  const issued = -(await systemBalance(knex, SYSTEM.issuance, "GROWTH"))
  const burned = await systemBalance(knex, SYSTEM.burned, "GROWTH")
  const treasury = await systemBalance(knex, SYSTEM.treasury, "GROWTH")
  return { pool, supply: issued - burned, treasury }
}

export interface ObligationLine {
  key: "growth" | "credit" | "quota" | "locked" | "released"
  /** Units held by members (points, credit, quota). */
  units: string
  /** The unit's value in money (price, pointValue, 1). */
  unitValue: string
  /** units × unitValue, rounded down to scale. */
  value: string
  /** The funds in the ledger that back it. */
  backing: string
  /** backing − value (negative: not backed). */
  gap: string
}

export interface Obligations {
  asOf: { openDay: string | null; lastClosedDay: string | null }
  lines: ObligationLine[]
  total: { value: string; backing: string; gap: string }
  /** Debts members owe back (clawback, RULES.md §1.7), for reference. */
  debts: { growth: string; credit: string; points: string }
}

/**
 * The obligations report of RULES.md §10: what members hold, valued in money, next to the
 * funds that back it. Member totals come from the system accounts (every asset sums to zero
 * over all accounts, §1.8 invariant 2): a handful of rows, whatever the member count.
 *
 * Decision (§10 "next to the funds that back them"): the backing of each line is money the
 * ledger holds or has moved for it —
 * - growth points × price: the growth pool; the treasury's converted points share it, so the
 *   members' part is pool × member points ÷ supply (equal to the value up to rounding: the
 *   scheme is backed by construction, §2.1);
 * - stable credit: the money the pools paid to the platform to fund credit (sell-back and
 *   exit proceeds, cycle payout funding), plus the treasury's share of the growth pool
 *   (conversions are funded by it, §2.5); credit spent at checkout is not subtracted, so this
 *   is an upper bound of what backs the credit still held;
 * - remaining quota, locked and released points: no pool holds money for them (the cycle
 *   pays only from each day's sales, §3.2; points are redeemed against the merchant's
 *   margin): backing 0, the whole value is unbacked.
 */
export async function obligations(knex: Knex, scale: number, cfg: ProgramConfig, price: Dec, program: { openDay: string | null; lastClosedDay: string | null }): Promise<Obligations> {
  const sys = await systemTotals(knex)
  const held = (asset: string) => -(sys.get(asset) ?? 0n)
  const g = await growthTotalsNow(knex)
  const memberGrowth = held("GROWTH") // member points only: the treasury is a system account
  const creditFunding = await moneyToPlatform(knex)
  const pointValue = cfg.schemes.release.pointValue
  const toDec = (a: bigint) => fromAtoms(a, scale)
  const floor = (d: Dec) => d.toDecimalPlaces(scale, Dec.ROUND_DOWN)
  const treasuryShare = g.supply > 0n ? floor(toDec(g.pool).times(g.treasury.toString()).div(g.supply.toString())) : new Dec(0)
  const memberShare = g.supply > 0n ? floor(toDec(g.pool).times(memberGrowth.toString()).div(g.supply.toString())) : new Dec(0)
  const line = (key: ObligationLine["key"], units: Dec, unitValue: Dec, backing: Dec): ObligationLine => {
    const value = floor(units.times(unitValue))
    return {
      key,
      units: units.toFixed(),
      unitValue: unitValue.toFixed(),
      value: value.toFixed(),
      backing: backing.toFixed(),
      gap: backing.minus(value).toFixed(),
    }
  }
  const lines = [
    line("growth", toDec(memberGrowth), price, memberShare),
    line("credit", toDec(held("CREDIT")), new Dec(1), toDec(creditFunding).plus(treasuryShare)),
    line("quota", toDec(held("QUOTA")), new Dec(1), new Dec(0)),
    line("locked", toDec(held("POINTS_LOCKED")), pointValue, new Dec(0)),
    line("released", toDec(held("POINTS")), pointValue, new Dec(0)),
  ]
  const sum = (k: "value" | "backing") => lines.reduce((s, l) => s.plus(l[k]), new Dec(0))
  return {
    asOf: program,
    lines,
    total: { value: sum("value").toFixed(), backing: sum("backing").toFixed(), gap: sum("backing").minus(sum("value")).toFixed() },
    debts: {
      growth: toDec(held("DEBT_GROWTH")).toFixed(),
      credit: toDec(held("DEBT_CREDIT")).toFixed(),
      points: toDec(held("DEBT_POINTS")).toFixed(),
    },
  }
}

/** MONEY the pools moved to the platform to fund credit, lifetime (reason index). */
async function moneyToPlatform(knex: Knex): Promise<bigint> {
  const [r] = await rows(
    knex,
    `select coalesce(sum(t.amount), 0)::text as amount from rewards_transfer t
      where t.reason = any(?::text[]) and t.asset = 'MONEY' and t.credit = ? and t.${LIVE}`,
    [["growth.sell.proceeds", "growth.exit.proceeds", "cycle.payout.funding"], SYSTEM.platform]
  )
  return BigInt(r.amount)
}

// ---------------------------------------------------------------------------------------
// Forecast base
// ---------------------------------------------------------------------------------------

export interface BaseMember {
  id: string
  referrerId: string | null
  /** Net amounts of the member's orders that still count (matured, or pending), in order. */
  orders: { id: string; amount: string }[]
}

/**
 * The current member base for a forecast, a page at a time: referrers before the members they
 * referred (by depth, then join order), each with its orders net of refunds.
 */
export async function* forecastBase(knex: Knex, pageSize = 5_000): AsyncIterable<BaseMember[]> {
  let cursor: { depth: number; seq: number } | null = null
  for (;;) {
    const page: Row[] = await rows(
      knex,
      `select customer_id, referrer_id, depth, seq from rewards_member
        where ${LIVE} ${cursor ? "and (depth > ? or (depth = ? and seq > ?))" : ""}
        order by depth, seq limit ?`,
      cursor ? [cursor.depth, cursor.depth, cursor.seq, pageSize] : [pageSize]
    )
    if (page.length === 0) return
    const ids = page.map((m) => m.customer_id)
    const orders = await rows(
      knex,
      `select member_id, order_id, (case when status = 'matured' then matured - refunded_after else amount - refunded_before end)::text as net
         from rewards_order where member_id = any(?::text[]) and status <> 'void' and ${LIVE} order by seq`,
      [ids]
    )
    const byMember = new Map<string, { id: string; amount: string }[]>()
    for (const o of orders) {
      if (new Dec(o.net).lte(0)) continue
      const list = byMember.get(o.member_id) ?? []
      list.push({ id: o.order_id, amount: new Dec(o.net).toFixed() })
      byMember.set(o.member_id, list)
    }
    yield page.map((m) => ({ id: m.customer_id, referrerId: m.referrer_id, orders: byMember.get(m.customer_id) ?? [] }))
    const last = page[page.length - 1]
    cursor = { depth: last.depth, seq: last.seq }
    if (page.length < pageSize) return
  }
}
