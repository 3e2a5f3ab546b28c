/**
 * RULES.md §6 resumability with a real process: a Medusa process (`medusa exec`) closing two
 * business days is killed with SIGKILL at random points of the close, again and again, and
 * restarted; the final ledger must be exactly that of an uninterrupted close of a copy of the
 * same database, and the audit must pass.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { Client } from "pg"
import { seededRandom } from "../../src/simulator/random"

const REPO = path.resolve(__dirname, "../..")
const SCRIPT = "./integration-tests/process/rewards-script.ts"
const MEDUSA = require.resolve("@medusajs/cli/cli.js", { paths: [REPO] })
const PROGRAM = {
  currency: "CNY",
  timezone: "Asia/Shanghai",
  scale: 4,
  schemes: {
    growth: { enabled: true, exitCapMultiple: "2" },
    cycle: { enabled: true, weightUnit: "100", tiers: [{ min: 1, max: null, rate: "0.05" }] },
    release: {
      enabled: true,
      levels: [
        { threshold: "300", multiple: "2.5" },
        { threshold: "2000", multiple: "3" },
      ],
      teamRewardsEnabled: true,
    },
  },
}
const MIN_KILLS = 4

type Row = Record<string, any>

const server = () => ({
  host: process.env.DB_HOST || "localhost",
  port: Number(process.env.DB_PORT || 5432),
  user: process.env.DB_USERNAME || "postgres",
  password: process.env.DB_PASSWORD || "",
})
const url = (db: string) => {
  const s = server()
  const auth = s.password ? `${encodeURIComponent(s.user)}:${encodeURIComponent(s.password)}` : encodeURIComponent(s.user)
  return `postgres://${auth}@${s.host}:${s.port}/${db}`
}

async function sql<T = Row>(db: string, text: string): Promise<T[]> {
  const client = new Client({ ...server(), database: db })
  await client.connect()
  try {
    return (await client.query(text)).rows as T[]
  } finally {
    await client.end()
  }
}

const programFile = path.join(mkdtempSync(path.join(tmpdir(), "rewards-kill-")), "program.json")
writeFileSync(programFile, JSON.stringify(PROGRAM))

function medusa(args: string[], db: string, extra: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [MEDUSA, ...args], {
    cwd: REPO,
    detached: true, // its own process group: SIGKILL reaches everything it started
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      DATABASE_URL: url(db),
      MEDUSA_REWARDS_PROGRAM_FILE: programFile,
      MEDUSA_REWARDS_DAY_BATCH_SIZE: "25",
      LOG_LEVEL: "error",
      NODE_ENV: "development",
      ...extra,
    },
  })
}

function finished(child: ChildProcess): Promise<{ code: number | null; signal: string | null; out: string }> {
  let out = ""
  child.stdout!.on("data", (d) => (out += d))
  child.stderr!.on("data", (d) => (out += d))
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, out })))
}

async function run(args: string[], db: string, extra: Record<string, string> = {}): Promise<string> {
  const result = await finished(medusa(args, db, extra))
  if (result.code !== 0) throw new Error(`medusa ${args.join(" ")} exited ${result.code}: ${result.out.slice(-2000)}`)
  return result.out
}

const dayBatches = async (db: string) =>
  Number((await sql(db, `select count(*)::int as n from rewards_transfer_batch where key like 'day:%'`))[0].n)

async function ledger(db: string) {
  return {
    transfers: await sql(
      db,
      `select b.key, t.asset, t.debit, t.credit, t.amount::text, t.reason
         from rewards_ledger t join rewards_transfer_batch b on b.id = t.batch_id order by b.key, t.id`
    ),
    balances: await sql(db, `select account, asset, amount::text from rewards_balance_now order by account, asset`),
    tranches: await sql(db, `select order_id, remaining::text from rewards_tranche_now order by seq`),
    members: await sql(db, `select customer_id, team_performance::text, star_level, level from rewards_member_now order by seq`),
    runs: await sql(db, `select day, step, report, exit_due, cycle from rewards_day_run order by day`),
    program: await sql(db, `select last_closed_day, growth_price::text from rewards_program`),
  }
}

describe("a day close killed at random points converges to the uninterrupted ledger", () => {
  const suffix = `${process.pid}_${Date.now() % 100000}`
  const base = `rewards_kill_base_${suffix}`
  const reference = `rewards_kill_ref_${suffix}`
  const victim = `rewards_kill_victim_${suffix}`

  beforeAll(async () => {
    await sql("postgres", `create database "${base}"`)
    await run(["db:migrate"], base)
    await run(["exec", SCRIPT], base, { REWARDS_SCRIPT: "seed", REWARDS_DAY: "2026-05-04", REWARDS_MEMBERS: "2000" })
    await sql("postgres", `create database "${reference}" template "${base}"`)
    await sql("postgres", `create database "${victim}" template "${base}"`)
  }, 300_000)

  afterAll(async () => {
    for (const db of [base, reference, victim]) await sql("postgres", `drop database if exists "${db}"`).catch(() => undefined)
  })

  it(`kills the closing process at least ${MIN_KILLS} times and ends with the same ledger`, async () => {
    const closeEnv = { REWARDS_SCRIPT: "close", REWARDS_DAY: "2026-05-06" }
    const out = await run(["exec", SCRIPT], reference, closeEnv)
    expect(out).toContain("closed 2026-05-04,2026-05-05 audit ok")
    const total = await dayBatches(reference)
    expect(total).toBeGreaterThan(100)

    // deterministic random points, printed so a failure can be replayed
    const random = seededRandom(Number(process.env.KILL_SEED ?? 20261125))
    const kills: number[] = []
    for (let attempt = 0; attempt < 20; attempt++) {
      const committed = await dayBatches(victim)
      const remaining = total - committed
      // the last attempt runs to the end; before that, stop at a random batch still ahead
      const target = kills.length < MIN_KILLS && remaining > 1 ? committed + 1 + Math.floor(random() * (remaining - 1)) : Infinity
      const child = medusa(["exec", SCRIPT], victim, closeEnv)
      const done = finished(child)
      let exited = false
      done.then(() => (exited = true))
      while (!exited && target !== Infinity) {
        if ((await dayBatches(victim)) >= target) {
          try {
            process.kill(-child.pid!, "SIGKILL")
          } catch {
            // it finished on its own just now
          }
          kills.push(target)
          break
        }
        await new Promise((r) => setTimeout(r, 15))
      }
      const result = await done
      if (result.signal === null) {
        expect(result.code).toBe(0)
        if (target === Infinity) {
          expect(result.out).toContain("audit ok")
          break
        }
      }
    }
    process.stdout.write(`killed at day batches ${kills.join(", ")} of ${total}\n`)
    expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS)

    const expected = await ledger(reference)
    const actual = await ledger(victim)
    expect(actual.program).toEqual(expected.program)
    expect(actual.runs).toEqual(expected.runs)
    expect(actual.tranches).toEqual(expected.tranches)
    expect(actual.members).toEqual(expected.members)
    expect(actual.balances).toEqual(expected.balances)
    expect(actual.transfers.length).toBe(expected.transfers.length)
    expect(actual.transfers).toEqual(expected.transfers)

    // `medusa-rewards audit` on the resumed database: sound; then a tampered balance is found
    const audit = () =>
      spawnSync(process.execPath, [path.join(REPO, "bin/medusa-rewards.js"), "audit"], {
        cwd: REPO,
        encoding: "utf8",
        env: { ...process.env, DATABASE_URL: url(victim) },
      })
    const sound = audit()
    expect(sound.stdout).toMatch(/^ledger sound: \d+ transfers, \d+ accounts/)
    expect(sound.status).toBe(0)
    await sql(victim, `insert into rewards_member_balance (account, asset, amount) values ('m:cus_7', 'POINTS', 1)`)
    const broken = audit()
    expect(broken.status).toBe(1)
    expect(broken.stdout).toContain("invariant 1: m:cus_7|POINTS")
    expect(broken.stdout).toContain("[m:cus_7]")
  }, 600_000)
})
