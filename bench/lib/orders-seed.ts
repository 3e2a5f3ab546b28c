/**
 * Seeds the rewards module's member base of `npm run bench:orders` straight into PostgreSQL
 * with set-based SQL (generate_series, INSERT … SELECT): no row passes through Node.
 *
 * Shape (seq = join order, customer id `cus_b<seq>`):
 * - a random forest of `members − chain` members built level by level: 0.5 % roots at
 *   depth 0, each next level 2.5× the previous one (the last takes the rest), every member's
 *   referrer drawn at random from the level above (`setseed` makes it repeatable);
 * - one referral chain of `chain` members hanging under root `cus_b1`: depths 1 … chain,
 *   each referred by the previous one; its last member (`cus_b<members>`) is the deepest.
 * - the inbox holds every member's join event (applied), as if each had joined through
 *   the plugin;
 * - every member with an even seq has bought once before: one matured order of 120 (its
 *   placed event in the inbox, its `rewards_order` row, its award batch) whose grants are a
 *   simplified history — QUOTA 240 and EXIT_CAP 240 (`cycle.quota`, `exitcap.grant`) and
 *   WEIGHT 1 (`cycle.weight`, weightUnit 100) from `sys:platform`, as transfers and as the
 *   balances they add up to (members and `sys:platform`, so every asset sums to zero). No
 *   growth points or pool money (that would move the growth price), no tranche (below the
 *   release threshold).
 * - joined over the 30 days before the benchmark day, which is the open business day:
 *   `rewards_program.first_day` = the first of them, `last_closed_day` = the day before,
 *   `member_seq` = members.
 *
 * Columns follow the migration (src/modules/rewards/migrations): DML `bigNumber` columns
 * are written as the numeric and its `raw_<col>` jsonb together. Referral codes are 8
 * characters of the plugin's alphabet, a bijection of seq (seq × an odd constant mod 32^8),
 * so they are unique without a lookup.
 */
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { addDays } from "../../src/engine/days"

export interface SeedOptions {
  members: number
  chain: number
  /** The benchmark's business day (the open day). */
  day: string
  /** Progress lines. */
  log: (message: string) => void
}

export interface SeedResult {
  members: number
  chain: number
  forest: number
  forestDepth: number
  roots: number
  balances: number
  /** rows of the inbox, the past orders and the ledger */
  history: { events: number; orders: number; batches: number; transfers: number }
  /** seconds per phase */
  timings: Record<string, number>
  /** the member whose code shallow buyers give (a root, depth 0) */
  shallowReferrer: { customerId: string; code: string; depth: number }
  /** the end of the chain, whose code deep buyers give */
  deepReferrer: { customerId: string; code: string; depth: number }
  tableSizes: Record<string, string>
}

const ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
/** Tables loaded in bulk: their secondary indexes are dropped and rebuilt around the load. */
const BULK_TABLES = ["rewards_member", "rewards_balance", "rewards_event", "rewards_order", "rewards_transfer_batch", "rewards_transfer"]
const PAST_ORDER = 120
/** The grants of a past order: asset, amount in atoms (scale 4; WEIGHT in whole units), reason. */
const PAST_GRANTS: [string, number, string][] = [
  ["QUOTA", 2_400_000, "cycle.quota"],
  ["EXIT_CAP", 2_400_000, "exitcap.grant"],
  ["WEIGHT", 1, "cycle.weight"],
]
const JOIN_DAYS = 30

/** SQL: the 8-character referral code of member `seq` (column `h.x` from {@link CODE_LATERAL}). */
const CODE = Array.from({ length: 8 }, (_, i) => `substr('${ALPHABET}', ((h.x >> ${5 * (7 - i)}) & 31)::int + 1, 1)`).join(" || ")
/** seq × 2654435761 (odd) mod 2^40: a bijection on [0, 32^8). */
const CODE_LATERAL = `cross join lateral (select (s::bigint * 2654435761) % 1099511627776 as x) h`

const raw = (expr: string) => `jsonb_build_object('value', (${expr})::text, 'precision', 20)`

const MEMBER_COLUMNS = `id, customer_id, seq, referrer_id, referral_code, depth, joined_day,
  net_spend, purchase_weight, referral_weight, admin_weight, level, has_orders,
  raw_net_spend, raw_purchase_weight, raw_referral_weight, raw_admin_weight`

/** The select list of one member row, given SQL for its referrer seq (or null) and depth. */
function memberSelect(members: number, day0: string, referrerSeq: string, depth: string): string {
  const bought = `(s % 2 = 0)`
  const netSpend = `case when ${bought} then 120 else 0 end`
  const weight = `case when ${bought} then 1 else 0 end`
  return `'rwmem_b' || s, 'cus_b' || s, s,
    ${referrerSeq === "null" ? "null" : `'cus_b' || (${referrerSeq})`},
    ${CODE}, ${depth},
    to_char(date '${day0}' + ((s - 1)::bigint * ${JOIN_DAYS} / ${members})::int, 'YYYY-MM-DD'),
    ${netSpend}, ${weight}, 0, 0, null, ${bought},
    ${raw(netSpend)}, ${raw(weight)}, ${raw("0")}, ${raw("0")}`
}

function seconds(since: number): number {
  return Math.round((performance.now() - since) / 100) / 10
}

export async function seedMembers(knex: Knex, options: SeedOptions): Promise<SeedResult> {
  const { members, chain, day, log } = options
  if (chain < 1 || chain >= members) throw new Error(`chain (${chain}) must be between 1 and members − 1 (${members - 1})`)
  const forest = members - chain
  const day0 = addDays(day, -JOIN_DAYS)
  const timings: Record<string, number> = {}
  const q = (sql: string, bindings: readonly unknown[] = []) => knex.raw(sql, bindings as Knex.RawBinding[])

  const existing = Number((await q(`select count(*)::int as n from rewards_member`)).rows[0].n)
  if (existing > 0) throw new Error(`rewards_member already has ${existing} rows: the benchmark needs a fresh database`)

  // The indexes of rewards_member and rewards_balance (as the migration made them) are
  // dropped for the bulk load and built again afterwards from their own definitions:
  // building an index once is much cheaper than maintaining it row by row.
  const indexes = (
    await q(
      `select i.indexname, i.indexdef from pg_indexes i
        where i.schemaname = current_schema() and i.tablename = any(?::text[])
          and i.indexname not in (select conname from pg_constraint where contype in ('p', 'u'))`,
      [BULK_TABLES]
    )
  ).rows as { indexname: string; indexdef: string }[]
  let t = performance.now()
  for (const ix of indexes) await q(`drop index "${ix.indexname}"`)

  // 1. the random forest, level by level
  await q(`select setseed(0.42)`)
  const levels: { lo: number; hi: number }[] = []
  let next = 1
  let size = Math.max(2, Math.round(forest * 0.005))
  while (next <= forest) {
    const hi = Math.min(forest, next + size - 1)
    levels.push({ lo: next, hi })
    next = hi + 1
    size = Math.ceil(size * 2.5)
  }
  for (let k = 0; k < levels.length; k++) {
    const { lo, hi } = levels[k]
    const parent = k === 0 ? "null" : `${levels[k - 1].lo} + floor(random() * ${levels[k - 1].hi - levels[k - 1].lo + 1})::int`
    await q(
      `insert into rewards_member (${MEMBER_COLUMNS})
       select ${memberSelect(members, day0, parent, String(k))}
         from generate_series(${lo}, ${hi}) s ${CODE_LATERAL}`
    )
    log(`forest level ${k}: members ${lo}…${hi}`)
  }
  // 2. the chain under root 1: member forest + d at depth d
  await q(
    `insert into rewards_member (${MEMBER_COLUMNS})
     select ${memberSelect(members, day0, `case when s = ${forest + 1} then 1 else s - 1 end`, `s - ${forest}`)}
       from generate_series(${forest + 1}, ${members}) s ${CODE_LATERAL}`
  )
  log(`chain: members ${forest + 1}…${members} (depth 1…${chain})`)
  timings.members = seconds(t)

  // 3. the inbox: every member's join
  t = performance.now()
  await q(
    `insert into rewards_event (key, kind, day, payload, status, applied_at)
     select 'customer:' || customer_id || ':join', 'join', joined_day,
            jsonb_build_object('customerId', customer_id, 'referrerId', referrer_id), 'applied', now()
       from rewards_member order by seq`
  )
  // 4. one past order of every member with an even seq: inbox event, order, award batch, transfers
  await q(
    `insert into rewards_event (key, kind, day, payload, status, applied_at)
     select 'order:order_b' || seq || ':placed', 'order', joined_day,
            jsonb_build_object('orderId', 'order_b' || seq, 'customerId', customer_id, 'amount', '${PAST_ORDER}'), 'applied', now()
       from rewards_member where has_orders order by seq`
  )
  const grants = `jsonb_build_array('0', '0', '${PAST_GRANTS[1][1]}', '${PAST_GRANTS[0][1]}', '0', '0')` // GRANT_KINDS order
  await q(
    `insert into rewards_order (id, order_id, member_id, seq, placed_day, matures_on, status, refund_ids, referrer_id,
                                granted, worth, config_version, amount, refunded_before, matured, refunded_after,
                                raw_amount, raw_refunded_before, raw_matured, raw_refunded_after)
     select 'rword_b' || seq, 'order_b' || seq, customer_id, (seq / 2)::int, joined_day, joined_day, 'matured', '[]'::jsonb,
            referrer_id, ${grants}, null, 1, ${PAST_ORDER}, 0, ${PAST_ORDER}, 0,
            ${raw(String(PAST_ORDER))}, ${raw("0")}, ${raw(String(PAST_ORDER))}, ${raw("0")}
       from rewards_member where has_orders`
  )
  await q(
    `insert into rewards_transfer_batch (key, day, source, config_version)
     select 'order:order_b' || seq || ':award', joined_day, 'order_b' || seq, 1 from rewards_member where has_orders order by seq`
  )
  await q(
    `insert into rewards_transfer (batch_id, day, asset, debit, credit, amount, raw_amount, reason)
     select b.id, b.day, g.asset, 'sys:platform', 'm:cus_b' || substring(b.source from 8), g.amount, ${raw("g.amount")}, g.reason
       from rewards_transfer_batch b
      cross join (values ${PAST_GRANTS.map(([a, n, r], i) => `(${i}, '${a}', ${n}::numeric, '${r}')`).join(", ")}) g(pos, asset, amount, reason)
      where b.key like 'order:order\\_b%'
      order by b.id, g.pos`
  )
  // 5. the balances those transfers add up to (a member's: its change since the day snapshot,
  // there is none yet; the system accounts': their rows)
  await q(
    `insert into rewards_member_balance (account, asset, amount)
     select credit, asset, sum(amount) from rewards_transfer group by credit, asset`
  )
  await q(
    `insert into rewards_balance (id, account, asset, amount, raw_amount)
     select 'rwbal_bsys_' || asset, 'sys:platform', asset, -sum(amount), ${raw("-sum(amount)")}
       from rewards_transfer where debit = 'sys:platform' group by asset`
  )
  const count = async (table: string) => Number((await q(`select count(*)::int as n from ${table}`)).rows[0].n)
  const balances = (await count("rewards_balance")) + (await count("rewards_member_balance"))
  const history = {
    events: await count("rewards_event"),
    orders: await count("rewards_order"),
    batches: await count("rewards_transfer_batch"),
    transfers: await count("rewards_transfer"),
  }
  timings.history = seconds(t)
  log(`inbox, past orders and ledger: ${JSON.stringify(history)}, ${balances} balances`)

  // 6. indexes back, statistics
  t = performance.now()
  for (const ix of indexes) await q(ix.indexdef)
  timings.indexes = seconds(t)
  log(`${indexes.length} indexes rebuilt`)
  t = performance.now()
  for (const table of BULK_TABLES) await q(`vacuum analyze ${table}`)
  timings.analyze = seconds(t)

  // 7. the program's counters and days
  await q(
    `update rewards_program set member_seq = ?, order_seq = ?, first_day = ?, last_closed_day = ?, updated_at = now()
      where deleted_at is null`,
    [members, history.orders, day0, addDays(day, -1)]
  )

  // checks: depths consistent with the referrers, codes unique, the chain end as deep as asked
  const [check] = (
    await q(
      `select (select count(*) from rewards_member m join rewards_member r on r.customer_id = m.referrer_id
                where m.depth <> r.depth + 1)::int as bad_depth,
              (select count(*) from rewards_member where referrer_id is not null
                and not exists (select 1 from rewards_member r where r.customer_id = rewards_member.referrer_id))::int as orphans,
              (select max(depth) from rewards_member)::int as max_depth,
              (select count(distinct referral_code) from rewards_member)::int as codes,
              (select count(*) from rewards_member)::int as members`
    )
  ).rows
  if (check.bad_depth || check.orphans || check.codes !== members || check.members !== members || check.max_depth !== chain) {
    throw new Error(`seeded member base is inconsistent: ${JSON.stringify(check)}`)
  }
  const member = async (seq: number) => {
    const [r] = (await q(`select customer_id, referral_code, depth from rewards_member where seq = ?`, [seq])).rows
    return { customerId: r.customer_id as string, code: r.referral_code as string, depth: r.depth as number }
  }
  const sizes = (
    await q(
      `select relname, pg_size_pretty(pg_total_relation_size(c.oid)) as size from pg_class c
        where relname = any(?::text[]) and relkind = 'r'`,
      [BULK_TABLES]
    )
  ).rows as { relname: string; size: string }[]
  return {
    members,
    chain,
    forest,
    forestDepth: levels.length - 1,
    roots: levels[0].hi,
    balances,
    history,
    timings,
    shallowReferrer: await member(2),
    deepReferrer: await member(members),
    tableSizes: Object.fromEntries(sizes.map((s) => [s.relname, s.size])),
  }
}
