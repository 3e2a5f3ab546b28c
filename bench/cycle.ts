/**
 * `npm run bench:cycle`: one business day's close on PostgreSQL at 100 k, 300 k and 1 M members
 * (issue #4), through the code the scheduled job runs: the engine's `closeDay` on the rewards
 * module's PostgreSQL store.
 *
 * Base: bench/lib/base.ts (≈2 tranches per member, every scheme and team rewards on, a random
 * forest plus one 100 000-deep chain), built by the engine in memory in a child process and
 * written to the rewards tables (members, balances, tranches, day sales; not the import's
 * transfer history). The close then runs in a fresh process, so its peak RSS is its own. In the
 * same run, the write floor: PostgreSQL's COPY of 3 narrow rows per member into a scratch table.
 *
 *   npm run bench:cycle                    # 100k, 300k, 1M
 *   npm run bench:cycle -- 20000 50000     # other sizes
 *   BENCH_REUSE=1 npm run bench:cycle      # keeps each seeded base as a template database and
 *                                          # reuses it (the close again without seeding)
 *   BENCH_VERIFY=<file> …                  # checks the balances and the report against the same
 *                                          # close in memory (small sizes)
 *   BENCH_RUNS=5 …                         # closes per size (default 3), each on a fresh copy of
 *                                          # the seeded base
 *
 * This machine's speed varies from minute to minute (a shared VM), so each size is closed
 * BENCH_RUNS times, each time with its own floor, and the report gives the medians: close
 * seconds, floor seconds and close ÷ floor (the median of each run's own ratio, its close and
 * floor measured side by side).
 *
 * PostgreSQL: DATABASE_URL's server when set (a database per size is created and dropped),
 * else an embedded one started for the run.
 */
import { spawnSync } from "node:child_process"
import { readFileSync, readdirSync, writeFileSync } from "node:fs"
import { loadavg } from "node:os"
import path from "node:path"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import { type Knex, knex as createKnex } from "@medusajs/framework/mikro-orm/knex"
import { from as copyFrom } from "pg-copy-streams"
import { serializeProgramConfig } from "../src/engine/config"
import { RewardsEngine } from "../src/engine/engine"
import { ASSETS, SYSTEM, memberAccount } from "../src/engine/ledger"
import type { MemoryStore } from "../src/engine/memory-store"
import { PostgresRewardsStore, decodeReport, encodeReport } from "../src/modules/rewards/postgres-store"
import { memoryEngine } from "../src/simulator/scenario"
import { BENCH_DAY, benchProgram, benchProgramInput, buildBase } from "./lib/base"
import { startProfile } from "./lib/profile"

const { start, stop } = require("../scripts/lib/embedded-postgres") as {
  start(o: { log?: (m: string) => void }): Promise<{ url(db: string): string; createDatabase(n: string): Promise<void> }>
  stop(s: unknown): Promise<void>
}

const DB_PREFIX = "medusa_rewards_bench_cycle_"
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3))

interface CloseResult {
  members: number
  seconds: number
  peakRss: number
  transfers: number
  floorSeconds: number
  closeCpu: { node: number; postgres: number | null }
  floorCpu: { node: number; postgres: number | null }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const EXPORT_CHUNK = 20_000

function connect(url: string): Knex {
  return createKnex({ client: "pg", connection: url, pool: { min: 1, max: 4 } })
}

/**
 * The rewards module's migrations, in order, on a bare database (the close touches only its
 * tables): the indexes every later migration adds are part of what the close pays.
 */
async function migrate(db: Knex): Promise<void> {
  const dir = path.join(__dirname, "../src/modules/rewards/migrations")
  for (const file of readdirSync(dir).filter((f) => /^Migration\d+\.ts$/.test(f)).sort()) {
    const exported = require(path.join(dir, file)) as Record<string, new (...args: unknown[]) => unknown>
    for (const Migration of Object.values(exported)) {
      const m = new Migration(null, {}) as { up(): Promise<void>; getQueries(): string[] }
      await m.up()
      for (const sql of m.getQueries()) await db.raw(sql)
    }
  }
}

/** Child process: builds the base in memory and writes it to the database. */
async function seed(url: string, members: number): Promise<void> {
  const { engine, store } = memoryEngine(benchProgram())
  await buildBase(engine, members)
  const db = connect(url)
  await migrate(db)
  const cfg = benchProgram()
  const program = (store as MemoryStore).programNow()
  await db.raw(
    `insert into rewards_program (id, scale, first_day, last_closed_day, growth_price, raw_growth_price, member_seq, order_seq, op_seq)
     values ('rwprg_bench', ?, ?, ?, ?::numeric, jsonb_build_object('value', ?::text, 'precision', 20), ?, ?, ?)`,
    [cfg.scale, program.firstDay, program.lastClosedDay, program.growthPrice.toFixed(), program.growthPrice.toFixed(),
      program.memberSeq, program.orderSeq, program.opSeq]
  )
  await db.raw(
    `insert into rewards_config_version (id, version, effective_from, config, created_by) values ('rwcfg_bench', 1, null, ?::jsonb, 'bench')`,
    [JSON.stringify(serializeProgramConfig(cfg))]
  )
  const pg = new PostgresRewardsStore(db)
  const mem = store as MemoryStore
  const all = mem.allMembers()
  // members by COPY with referral codes derived from their seq (as bench/lib/orders-seed.ts does):
  // random 8-character codes collide in a million about every other time
  const raw = (v: string) => `{"value": "${v}", "precision": 20}`
  await copyRows(
    db,
    `copy rewards_member (id, customer_id, seq, referrer_id, referral_code, depth, joined_day, net_spend, purchase_weight,
                          referral_weight, admin_weight, level, has_orders, raw_net_spend, raw_purchase_weight,
                          raw_referral_weight, raw_admin_weight) from stdin`,
    all.map((m) => {
      const numbers = [m.netSpend.toFixed(), m.purchaseWeight.toString(), m.referralWeight.toString(), m.adminWeight.toString()]
      return `rwmem_${m.seq}\t${m.id}\t${m.seq}\t${m.referrerId ?? "\\N"}\t${referralCodeOf(m.seq)}\t${m.depth}\t${m.joinedDay}\t${numbers.join("\t")}\t${m.level ?? "\\N"}\t${m.hasOrders ? "t" : "f"}\t${numbers.map(raw).join("\t")}\n`
    })
  )
  const tranches = [...mem.allTranches()]
  for (let i = 0; i < tranches.length; i += EXPORT_CHUNK) {
    await pg.transaction((tx) => tx.commit({ tranches: tranches.slice(i, i + EXPORT_CHUNK) }))
  }
  await pg.transaction(async (tx) => tx.commit({ daySales: [{ day: BENCH_DAY, delta: await mem.getDaySales(BENCH_DAY) }] }))
  // balances as they stand (the import's transfers are not replayed into the ledger): the members'
  // as their change since the (absent) day snapshot, the system accounts' as their rows
  const changes: string[] = []
  for (const m of all) {
    const b = mem.memberBalancesNow(m.id)
    for (const [asset, amount] of Object.entries(b)) if (amount !== 0n) changes.push(`${memberAccount(m.id)}\t${asset}\t${amount}\n`)
  }
  await copyRows(db, `copy rewards_member_balance (account, asset, amount) from stdin`, changes)
  const system: string[] = []
  for (const account of Object.values(SYSTEM)) {
    for (const asset of ASSETS) {
      const amount = mem.systemBalanceNow(account, asset)
      if (amount !== 0n) system.push(`rwbal_${system.length}\t${account}\t${asset}\t${amount}\t{"value": "${amount}", "precision": 20}\n`)
    }
  }
  await copyRows(db, `copy rewards_balance (id, account, asset, amount, raw_amount) from stdin`, system)
  // as after a bulk import: everything folded into one day snapshot, the state every later close starts from
  await pg.compact(BENCH_DAY)
  await db.raw("vacuum analyze")
  await db.destroy()
  if (process.env.BENCH_VERIFY) {
    // the same close in memory: what the PostgreSQL close must end in
    await engine.closeDay(BENCH_DAY)
    const balances: Record<string, string> = {}
    for (const m of all) {
      for (const [asset, amount] of Object.entries(mem.memberBalancesNow(m.id))) {
        if (amount !== 0n) balances[`${memberAccount(m.id)}|${asset}`] = amount.toString()
      }
    }
    for (const account of Object.values(SYSTEM)) {
      for (const asset of ASSETS) {
        const amount = mem.systemBalanceNow(account, asset)
        if (amount !== 0n) balances[`${account}|${asset}`] = amount.toString()
      }
    }
    const [report] = await mem.getDayReports()
    writeFileSync(process.env.BENCH_VERIFY, JSON.stringify({ balances, report: encodeReport(report) }))
  }
}

const CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

/** Member seq's referral code: seq × 2654435761 mod 2^40 (a bijection) in 8 characters of 5 bits. */
function referralCodeOf(seq: number): string {
  const x = (BigInt(seq) * 2654435761n) % (1n << 40n)
  let code = ""
  for (let i = 7; i >= 0; i--) code += CODE_ALPHABET[Number((x >> BigInt(5 * i)) & 31n)]
  return code
}

/** Lines joined into ~64 KiB chunks: a stream write per line would time the stream, not COPY. */
function* chunked(lines: Iterable<string>): Iterable<string> {
  let buffer = ""
  for (const line of lines) {
    buffer += line
    if (buffer.length >= 65_536) {
      yield buffer
      buffer = ""
    }
  }
  if (buffer) yield buffer
}

async function copyRows(db: Knex, sql: string, lines: Iterable<string>): Promise<void> {
  const client = await (db as any).client.acquireConnection()
  try {
    await pipeline(Readable.from(chunked(lines)), client.query(copyFrom(sql)))
  } finally {
    ;(db as any).client.releaseConnection(client)
  }
}

/** Child process: the timed close, then the write floor, measured apart. */
async function close(url: string, members: number): Promise<void> {
  const db = connect(url)
  const versions = [{ version: 1, effectiveFrom: null, config: benchProgram() }]
  const count = async (table: string) => Number((await db.raw(`select count(*)::bigint as n from ${table}`)).rows[0].n)
  const before = { transfers: await count("rewards_ledger"), batches: await count("rewards_transfer_batch") }
  const resetPeak = () => writeFileSync("/proc/self/clear_refs", "5")
  const peakSinceReset = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))![1]) * 1024
  resetPeak()
  await settleWrites(db)
  const profile = process.env.BENCH_PROFILE ? await startProfile(process.env.BENCH_PROFILE) : null
  const cpu = await cpuMeter(db)
  const started = process.hrtime.bigint()
  await new RewardsEngine(new PostgresRewardsStore(db), versions).closeDay(BENCH_DAY)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const closeCpu = await cpu()
  if (profile) await profile()
  const peakRss = peakSinceReset()
  const transfers = (await count("rewards_ledger")) - before.transfers
  const [{ day }] = (await db.raw(`select last_closed_day as day from rewards_program`)).rows
  if (day !== BENCH_DAY) throw new Error(`the close did not finish: last closed day ${day}`)
  if (process.env.BENCH_VERIFY) await verify(db, process.env.BENCH_VERIFY)

  // the floor: COPY 3 narrow rows per member into a table without indexes
  await db.raw(`create table bench_floor (debit text, credit text, amount numeric, reason text)`)
  await settleWrites(db)
  const floorCpuMeter = await cpuMeter(db)
  const floorStarted = process.hrtime.bigint()
  await copyRows(db, `copy bench_floor from stdin`, (function* () {
    for (let i = 0; i < members; i++) {
      for (let k = 0; k < 3; k++) yield `m:m${i}\tsys:release\t${1000 + k * 7 + (i % 97)}\trelease.base\n`
    }
  })())
  const floorSeconds = Number(process.hrtime.bigint() - floorStarted) / 1e9
  const floorCpu = await floorCpuMeter()
  await db.raw(`drop table bench_floor`)
  await db.destroy()
  process.stdout.write(`${JSON.stringify({ members, seconds, peakRss, transfers, floorSeconds, closeCpu, floorCpu })}\n`)
}

/**
 * A checkpoint before each timed part, so that neither the close nor the floor pays for writing
 * out what came before it (the copied base, the close's own rows). Skipped without the right to
 * run one.
 */
async function settleWrites(db: Knex): Promise<void> {
  await db.raw("checkpoint").catch(() => undefined)
}

/**
 * CPU seconds spent from now on by this process and by the PostgreSQL backends of `db`'s database
 * (read from /proc: a local server; null where it cannot be read). On a shared machine the wall
 * clock stretches with the load, CPU seconds much less.
 */
async function cpuMeter(db: Knex): Promise<() => Promise<{ node: number; postgres: number | null }>> {
  const backends = async () =>
    (await db.raw(`select pid from pg_stat_activity where datname = current_database()`)).rows.map((r: { pid: number }) => r.pid) as number[]
  const ticks = (pid: number) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
      return Number(f[11]) + Number(f[12])
    } catch {
      return null
    }
  }
  const before = new Map((await backends()).map((pid) => [pid, ticks(pid)]))
  const node = process.cpuUsage()
  return async () => {
    const used = process.cpuUsage(node)
    let postgres: number | null = 0
    for (const pid of await backends()) {
      const t = ticks(pid)
      if (t === null || postgres === null) {
        postgres = null
        continue
      }
      postgres += t - (before.get(pid) ?? 0)!
    }
    return { node: (used.user + used.system) / 1e6, postgres: postgres === null ? null : postgres / 100 }
  }
}

/** BENCH_VERIFY=<file>: the balances and the day report equal the in-memory close's. */
async function verify(db: Knex, file: string): Promise<void> {
  const expected = JSON.parse(readFileSync(file, "utf8")) as { balances: Record<string, string>; report: unknown }
  const actual: Record<string, string> = {}
  for (const r of (await db.raw(`select account, asset, amount::text as amount from rewards_balance_now`)).rows) {
    actual[`${r.account}|${r.asset}`] = r.amount
  }
  const keys = new Set([...Object.keys(expected.balances), ...Object.keys(actual)])
  const wrong = [...keys].filter((k) => expected.balances[k] !== actual[k])
  if (wrong.length > 0) {
    throw new Error(`${wrong.length} balances differ from the in-memory close, e.g. ${wrong.slice(0, 5).map((k) => `${k}: ${actual[k]} ≠ ${expected.balances[k]}`).join("; ")}`)
  }
  const [run] = (await db.raw(`select report from rewards_day_run where day = ?`, [BENCH_DAY])).rows
  if (JSON.stringify(encodeReport(decodeReport(run.report))) !== JSON.stringify(expected.report)) {
    throw new Error(`day report ${JSON.stringify(run.report)} ≠ in memory ${JSON.stringify(expected.report)}`)
  }
  // (no audit: the base's balances were written without the import's transfers)
  process.stderr.write(`verified: ${keys.size} balances and the day report equal the in-memory close\n`)
}

function child(args: string[]): string {
  const run = spawnSync(process.execPath, [...process.execArgv, __filename, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
    stdio: ["ignore", "pipe", "inherit"],
  })
  if (run.status !== 0) throw new Error(`${args.join(" ")} failed (exit ${run.status})`)
  return run.stdout
}

async function main(): Promise<void> {
  const mode = process.argv[2]
  if (mode === "--seed") return seed(process.argv[3], Number(process.argv[4]))
  if (mode === "--close") return close(process.argv[3], Number(process.argv[4]))

  const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0)
  const server = process.env.DATABASE_URL ? null : await start({ log: () => undefined })
  const admin = connect(process.env.DATABASE_URL ?? server!.url("postgres"))
  const urlOf = (db: string) => {
    if (!process.env.DATABASE_URL) return server!.url(db)
    const u = new URL(process.env.DATABASE_URL)
    u.pathname = `/${db}`
    return u.toString()
  }
  const results: (CloseResult & { ratio: number; seedSeconds: number })[] = []
  console.log("members    close s   rows written   µs/member   peak RSS MiB   floor s   close ÷ floor   (seed s)")
  try {
    for (const size of sizes.length > 0 ? sizes : [100_000, 300_000, 1_000_000]) {
      const name = `${DB_PREFIX}${size}`
      const template = `${name}_seeded`
      await admin.raw(`drop database if exists ${name}`)
      const seeded = Date.now()
      const reuse = process.env.BENCH_REUSE && (await admin.raw(`select 1 from pg_database where datname = ?`, [template])).rows.length > 0
      if (!reuse) {
        await admin.raw(`drop database if exists ${template}`)
        await admin.raw(`create database ${name}`)
        child(["--seed", urlOf(name), String(size)])
        await admin.raw(`create database ${template} template ${name}`)
        await admin.raw(`drop database ${name}`)
      }
      const seedSeconds = (Date.now() - seeded) / 1000
      const closes: CloseResult[] = []
      for (let run = 0; run < RUNS; run++) {
        await admin.raw(`create database ${name} template ${template}`)
        closes.push(JSON.parse(child(["--close", urlOf(name), String(size)]).trim().split("\n").pop()!))
        await admin.raw(`drop database ${name}`)
      }
      if (!process.env.BENCH_REUSE) await admin.raw(`drop database ${template}`)
      const byTime = [...closes].sort((a, b) => a.seconds - b.seconds)
      const r = {
        ...byTime[Math.floor(byTime.length / 2)],
        seconds: median(closes.map((c) => c.seconds)),
        floorSeconds: median(closes.map((c) => c.floorSeconds)),
        ratio: median(closes.map((c) => c.seconds / c.floorSeconds)),
        peakRss: Math.max(...closes.map((c) => c.peakRss)),
        seedSeconds,
      }
      results.push(r)
      console.log(
        `${String(r.members).padEnd(10)} ${r.seconds.toFixed(2).padEnd(9)} ${String(r.transfers).padEnd(14)} ${((r.seconds / r.members) * 1e6).toFixed(1).padEnd(11)} ${(r.peakRss / 2 ** 20).toFixed(0).padEnd(14)} ${r.floorSeconds.toFixed(2).padEnd(9)} ${r.ratio.toFixed(2).padEnd(15)} (${seedSeconds.toFixed(0)})`
      )
      if (closes.length > 1) {
        const each = closes.map((c) => `${c.seconds.toFixed(2)} s ÷ ${c.floorSeconds.toFixed(2)} s = ${(c.seconds / c.floorSeconds).toFixed(2)}`)
        console.log(`           runs: ${each.join("; ")}`)
      }
      const cpu = (c: { node: number; postgres: number | null }) => `node ${c.node.toFixed(2)} s + postgres ${c.postgres === null ? "?" : `${c.postgres.toFixed(2)} s`}`
      console.log(`           CPU (median run): close ${cpu(r.closeCpu)}; floor ${cpu(r.floorCpu)}; load average ${loadavg()[0].toFixed(2)}`)
    }
  } finally {
    await admin.destroy()
    if (server) await stop(server)
  }
  if (results.length > 1) {
    const small = results.reduce((a, b) => (a.members < b.members ? a : b))
    const large = results.reduce((a, b) => (a.members > b.members ? a : b))
    const ratio = large.seconds / large.members / (small.seconds / small.members)
    console.log(`per-member cost ratio ${large.members} vs ${small.members}: ${ratio.toFixed(2)}`)
  }
  console.log("targets: 1 M members ≤ 3 × floor, peak RSS ≤ 1.5 GiB, per-member cost at 1 M within 1.3× of 100 k")
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`)
  process.exit(1)
})


