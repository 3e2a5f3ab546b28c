/**
 * What the suites compare a ledger with, and how they read one:
 * - `simulate(scenario)`: the `medusa-rewards simulate` bin (the same engine, in memory) on a
 *   scenario; `norm` makes decimal strings comparable ("1.50" → "1.5");
 * - `memberBalances(rewards, id)`: a member's balances in the simulator's shape;
 * - `ledgerSnapshot(query)`: every table a day close writes, in a stable order, so two
 *   databases (a resumed close and an uninterrupted one) can be compared row for row;
 * - databases of their own on the suites' PostgreSQL server (`DB_*` of the jest setup), for
 *   suites that run Medusa as real processes: `databaseUrl`, `sql`, `createDatabase`,
 *   `dropDatabase`.
 */
import { spawnSync } from "node:child_process"
import path from "node:path"
import { Client } from "pg"
import type RewardsModuleService from "../../src/modules/rewards/service"

type Row = Record<string, any>

const REPO = path.resolve(__dirname, "../..")

/** Runs the `medusa-rewards simulate` bin on a scenario; returns its JSON output. */
export function simulate(scenario: unknown): Row {
  const run = spawnSync(process.execPath, [path.join(REPO, "bin/medusa-rewards.js"), "simulate", "-"], {
    input: JSON.stringify(scenario),
    encoding: "utf8",
    cwd: REPO,
    maxBuffer: 256 * 1024 * 1024,
  })
  if (run.status !== 0) throw new Error(`simulate exited ${run.status}: ${run.stderr}`)
  return JSON.parse(run.stdout)
}

/** Normalizes a decimal string ("1.50" → "1.5") so equal amounts compare equal. */
export function norm(value: unknown): unknown {
  if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value)) {
    return value.includes(".") ? value.replace(/\.?0+$/, "") : value
  }
  if (Array.isArray(value)) return value.map(norm)
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Row).map(([k, v]) => [k, norm(v)]))
  }
  return value
}

/** The member balances the simulator prints, read from the database (RULES.md §1.8 accounts). */
export async function memberBalances(rewards: RewardsModuleService, customerId: string) {
  const b = await rewards.getAccountBalances(`m:${customerId}`)
  const v = (asset: string) => b[asset] ?? "0"
  return {
    growth: v("GROWTH"),
    credit: v("CREDIT"),
    exitCap: v("EXIT_CAP"),
    quota: v("QUOTA"),
    weight: v("WEIGHT"),
    pointsLocked: v("POINTS_LOCKED"),
    points: v("POINTS"),
    debt: { growth: v("DEBT_GROWTH"), credit: v("DEBT_CREDIT"), points: v("DEBT_POINTS") },
  }
}

/**
 * Every row a close writes, in a stable order (transfers by batch key, then position), as the
 * views read them: every transfer (operations' and the day closes' postings), balances,
 * tranches and team figures as they stand now.
 */
export async function ledgerSnapshot(query: (sql: string) => Promise<Row[]>) {
  return {
    transfers: await query(
      `select b.key, t.asset, t.debit, t.credit, t.amount::text, t.reason
         from rewards_ledger t join rewards_transfer_batch b on b.id = t.batch_id order by b.key, t.id`
    ),
    balances: await query(`select account, asset, amount::text from rewards_balance_now order by account, asset`),
    tranches: await query(`select order_id, remaining::text from rewards_tranche_now order by seq`),
    members: await query(`select customer_id, team_performance::text, star_level, level from rewards_member_now order by seq`),
    runs: await query(`select day, step, report, exit_due, cycle from rewards_day_run order by day`),
    program: await query(`select last_closed_day, growth_price::text from rewards_program`),
  }
}

export type LedgerSnapshot = Awaited<ReturnType<typeof ledgerSnapshot>>

/** Compares two snapshots part by part (a failure names the part, not one giant diff). */
export function expectSameLedger(actual: LedgerSnapshot, expected: LedgerSnapshot): void {
  expect(actual.program).toEqual(expected.program)
  expect(actual.runs).toEqual(expected.runs)
  expect(actual.tranches).toEqual(expected.tranches)
  expect(actual.members).toEqual(expected.members)
  expect(actual.balances).toEqual(expected.balances)
  expect(actual.transfers.length).toBe(expected.transfers.length)
  expect(actual.transfers).toEqual(expected.transfers)
}

// ---- databases of a suite's own, on the jest setup's server ----

function server() {
  return {
    host: process.env.DB_HOST || "localhost",
    port: Number(process.env.DB_PORT || 5432),
    user: process.env.DB_USERNAME || "postgres",
    password: process.env.DB_PASSWORD || "",
  }
}

/** The URL of database `db` on the suites' PostgreSQL server. */
export function databaseUrl(db: string): string {
  const s = server()
  const auth = s.password ? `${encodeURIComponent(s.user)}:${encodeURIComponent(s.password)}` : encodeURIComponent(s.user)
  return `postgres://${auth}@${s.host}:${s.port}/${db}`
}

/** One statement on database `db`, on a connection of its own. */
export async function sql<T = Row>(db: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ ...server(), database: db })
  await client.connect()
  try {
    return (await client.query(text, values)).rows as T[]
  } finally {
    await client.end()
  }
}

export const createDatabase = (name: string, template?: string) =>
  sql("postgres", `create database "${name}"${template ? ` template "${template}"` : ""}`)

export const dropDatabase = (name: string) => sql("postgres", `drop database if exists "${name}" with (force)`).catch(() => undefined)
