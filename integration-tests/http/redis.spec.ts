/**
 * The production profile (docs/medusa-config.production.ts; the repository's medusa-config.ts
 * switches to the same modules when MEDUSA_REWARDS_REDIS_URL is set): a real `redis-server`
 * (Debian's package) on loopback, two worker processes (`medusa start`,
 * MEDUSA_WORKER_MODE=worker) on the Redis event bus, the Redis workflow engine and Redis
 * locking, and one PostgreSQL database. It shows that
 * (a) the daily job closes each due business day exactly once across the two workers (both up
 *     before the first close can run): one worker logs the close of each day, every tick of the
 *     job runs on exactly one worker (ticks in Redis = executions in the workers' logs), and the
 *     ledger equals an uninterrupted close of a copy of the same database by a single process;
 * (b) a subscriber that fails is retried by the Redis event bus (`jobOptions.attempts` 5,
 *     exponential backoff) and then succeeds, awarding the order exactly once.
 *
 * redis-server missing is a failure, not a skip (`apt-get install -y redis-server`; CI installs
 * it). The job ticks every 2 s here (MEDUSA_REWARDS_CLOSE_SCHEDULE) instead of every 5 min; the
 * program's time zone is chosen so that local time is near noon, far from the `closeAt` boundary
 * (00:05), so the set of due days cannot change while the test runs.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { Client } from "pg"
import {
  type Launched,
  REPO_ROOT,
  type RedisServer,
  freePort,
  launchMedusa,
  redisServerPath,
  runMedusa,
  startRedis,
  stopAll,
  stopProcess,
  waitFor,
  waitForHealth,
} from "../../scripts/lib/processes"
import { createDatabase, databaseUrl, dropDatabase, expectSameLedger, ledgerSnapshot, sql } from "../helpers/ledger"

const SCRIPT = "./integration-tests/process/redis-script.ts"
const CLOSE_JOB = "job-medusa-rewards-close-business-days"
const TICK = "*/2 * * * * *"
const LOG_DIR = path.join(REPO_ROOT, ".tmp", "redis-spec")

/** An IANA zone whose local time is near noon now: Etc/GMT-N is UTC+N. */
function zoneNearNoon(now: Date): string {
  const offset = Math.max(-11, Math.min(12, 12 - now.getUTCHours()))
  return offset === 0 ? "UTC" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`
}

const PROGRAM = {
  currency: "CNY",
  timezone: zoneNearNoon(new Date()),
  scale: 4,
  schemes: {
    growth: { enabled: true, exitCapMultiple: "2" },
    cycle: { enabled: true, weightUnit: "100", tiers: [{ min: 1, max: null, rate: "0.05" }] },
    release: { enabled: true, levels: [{ threshold: "300", multiple: "2.5" }], teamRewardsEnabled: true },
  },
}
const programFile = path.join(mkdtempSync(path.join(tmpdir(), "rewards-redis-")), "program.json")
writeFileSync(programFile, JSON.stringify(PROGRAM))

describe("production profile: two workers on Redis", () => {
  const suffix = `${process.pid}_${Date.now() % 100000}`
  const base = `rewards_redis_base_${suffix}`
  const reference = `rewards_redis_ref_${suffix}`
  const victim = `rewards_redis_${suffix}`
  let redis: RedisServer
  let workers: Launched[] = []
  let referenceDays: string[] = []

  const env = (db: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...process.env,
    DATABASE_URL: databaseUrl(db),
    MEDUSA_REWARDS_PROGRAM_FILE: programFile,
    MEDUSA_REWARDS_DAY_BATCH_SIZE: "25",
    LOG_LEVEL: "error",
    NODE_ENV: "development",
    ...extra,
  })
  const onRedis = (db: string, extra: Record<string, string> = {}) => env(db, { MEDUSA_REWARDS_REDIS_URL: redis.url, ...extra })

  /** Ticks of the close job Redis handed out so far (completed, failed, running), and how many run now. */
  function ticks(): { processed: number; active: number } {
    const mine = (ids: string[]) => ids.filter((id) => id.startsWith(`repeat:schedule_${CLOSE_JOB}:`)).length
    const queue = "bull:medusa-workflows-jobs"
    const active = mine(redis.cli("LRANGE", `${queue}:active`, "0", "-1"))
    const done = mine(redis.cli("ZRANGE", `${queue}:completed`, "0", "-1")) + mine(redis.cli("ZRANGE", `${queue}:failed`, "0", "-1"))
    return { processed: done + active, active }
  }
  /** Lines of the workers' logs matching `pattern`, per worker. */
  const logged = (pattern: RegExp) => workers.map((w) => w.output().split("\n").filter((line) => pattern.test(line)))

  beforeAll(async () => {
    if (!redisServerPath()) {
      throw new Error("redis.spec needs Debian's redis-server on PATH (apt-get install -y redis-server); .ci/run installs it")
    }
    mkdirSync(LOG_DIR, { recursive: true })
    redis = await startRedis({ logFile: path.join(LOG_DIR, "redis.log") })

    // a member base imported three days ago (business days in the program's zone), then copied:
    // the reference is closed by one process without Redis, the other by the workers' job
    await createDatabase(base)
    await runMedusa("migrate", ["db:migrate"], { env: env(base) })
    const seedDay = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10)
    await runMedusa("seed", ["exec", SCRIPT], { env: env(base, { REWARDS_SCRIPT: "seed", REWARDS_DAY: seedDay, REWARDS_MEMBERS: "300" }) })
    await createDatabase(reference, base)
    await createDatabase(victim, base)
    const out = await runMedusa("reference close", ["exec", SCRIPT], {
      env: env(reference, { REWARDS_SCRIPT: "close", REWARDS_NOW: new Date().toISOString() }),
    })
    const closed = /closed (\S*) audit ok/.exec(out)
    if (!closed) throw new Error(`the reference close did not end with a sound audit:\n${out.slice(-2000)}`)
    referenceDays = closed[1].split(",")

    // the two workers, on the victim database. Until both are up, the test holds the close's
    // PostgreSQL advisory lock (the module's last guard): their ticks close nothing before that
    const gate = new Client({ connectionString: databaseUrl(victim) })
    await gate.connect()
    await gate.query(`select pg_advisory_lock(hashtext('medusa-rewards:close-days'))`)
    const ports = [await freePort(), await freePort()]
    workers = ports.map((port, i) =>
      launchMedusa(`worker ${i + 1}`, ["start", "--port", String(port)], {
        logFile: path.join(LOG_DIR, `worker-${i + 1}.log`),
        // debug: the Redis workflow engine logs each scheduled job it executes
        env: onRedis(victim, { MEDUSA_WORKER_MODE: "worker", MEDUSA_REWARDS_CLOSE_SCHEDULE: TICK, LOG_LEVEL: "debug" }),
      })
    )
    try {
      await Promise.all(workers.map((w, i) => waitForHealth(ports[i], w, 180_000)))
    } finally {
      await gate.end() // releases the lock
    }
  }, 420_000)

  afterAll(async () => {
    for (const w of workers) await stopProcess(w, 15_000) // before Redis: a worker without Redis hangs on SIGTERM
    await redis?.stop()
    await stopAll()
    for (const db of [base, reference, victim]) await dropDatabase(db)
  })

  it("closes each due day exactly once across the two workers, each tick of the job on one worker", async () => {
    expect(referenceDays.length).toBeGreaterThanOrEqual(2)
    const lastDay = referenceDays[referenceDays.length - 1]
    const lastClosed = async () => (await sql(victim, `select last_closed_day as d from rewards_program`))[0]?.d
    await waitFor("the workers' job closing every due day", async () => (await lastClosed()) === lastDay, {
      timeoutMs: 120_000,
      intervalMs: 500,
      watch: workers,
    })
    // several more ticks with both workers up and nothing due
    const seen = ticks().processed
    await waitFor("five more ticks of the close job", () => ticks().processed >= seen + 5, { timeoutMs: 60_000, intervalMs: 500, watch: workers })

    // every tick Redis handed out ran on exactly one worker: executions logged by both workers
    // together equal the ticks (counted at a moment when no tick is running)
    const count = await waitFor(
      "a moment without a running tick",
      () => {
        const before = ticks()
        const executions = logged(new RegExp(`executing scheduled job ${CLOSE_JOB} `)).map((lines) => lines.length)
        const after = ticks()
        return before.active === 0 && after.active === 0 && before.processed === after.processed ? { ticks: after.processed, executions } : false
      },
      { timeoutMs: 30_000, intervalMs: 100 }
    )
    process.stdout.write(`close job: ${count.ticks} ticks, executions per worker ${count.executions.join(" + ")}; days ${referenceDays.join(", ")}\n`)
    expect(count.ticks).toBeGreaterThanOrEqual(6)
    expect(count.executions.reduce((a, b) => a + b, 0)).toBe(count.ticks)

    // one worker closed each day, once: the days the workers logged as closed, all together
    const closedDays = logged(/medusa-rewards: closed business days /).flatMap((lines) =>
      lines.flatMap((line) => /closed business days (.*)$/.exec(line)![1].trim().split(", "))
    )
    expect(closedDays).toEqual(referenceDays)
    expect(await sql(victim, `select day, step from rewards_day_run order by day`)).toEqual(referenceDays.map((day) => ({ day, step: "done" })))
    // ... and paid what a single uninterrupted close pays, transfer for transfer
    expectSameLedger(await ledgerSnapshot((text) => sql(victim, text)), await ledgerSnapshot((text) => sql(reference, text)))
  }, 240_000)

  it("retries a failed order.placed subscriber through the Redis event bus until it succeeds, awarding once", async () => {
    // the inbox refuses the first two deliveries of an order's award; the sequence counts every
    // delivery that reached it (nextval is not rolled back with the failed transaction)
    await sql(victim, `create sequence rewards_test_placed_attempts`)
    await sql(
      victim,
      `create function rewards_test_fail_placed() returns trigger language plpgsql as $$
       begin
         if new.key like 'order:%:placed' and nextval('rewards_test_placed_attempts') <= 2 then
           raise exception 'rewards inbox unavailable (test: delivery %)', currval('rewards_test_placed_attempts');
         end if;
         return new;
       end $$`
    )
    await sql(victim, `create trigger rewards_test_fail_placed before insert on rewards_event for each row execute function rewards_test_fail_placed()`)

    // a checkout through Medusa's workflows in a `medusa exec` process (a server instance: it
    // emits order.placed to Redis, a worker handles it)
    const out = await runMedusa("order", ["exec", SCRIPT], { env: onRedis(victim, { REWARDS_SCRIPT: "order", REWARDS_QUANTITY: "3" }) })
    const placed = JSON.parse(out.split("\n").find((line) => line.startsWith("{"))!) as { orderId: string; customerId: string }
    const key = `order:${placed.orderId}:placed`
    await waitFor("the order's award applied", async () => (await sql(victim, `select 1 from rewards_event where key = $1 and status = 'applied'`, [key])).length > 0, {
      timeoutMs: 90_000,
      intervalMs: 250,
      watch: workers,
    })

    // delivered three times: refused, refused, applied; the bus announced each retry
    expect(await sql(victim, `select last_value::int as n, is_called from rewards_test_placed_attempts`)).toEqual([{ n: 3, is_called: true }])
    expect(logged(/One or more subscribers of order\.placed failed\. Retrying/).flat()).toHaveLength(2)
    // awarded exactly once: one inbox row, one award batch, the order recorded with its eligible
    // amount (3 × 100, shipping excluded), and every transfer to the buyer in that one batch
    expect(await sql(victim, `select status from rewards_event where key = $1`, [key])).toEqual([{ status: "applied" }])
    expect(await sql(victim, `select key from rewards_transfer_batch where key like $1`, [`order:${placed.orderId}:%`])).toEqual([
      { key: `order:${placed.orderId}:award` },
    ])
    expect(await sql(victim, `select amount::text as amount from rewards_order where order_id = $1`, [placed.orderId])).toEqual([{ amount: "300" }])
    const buyer = `m:${placed.customerId}`
    const batches = await sql(
      victim,
      `select distinct b.key from rewards_transfer t join rewards_transfer_batch b on b.id = t.batch_id where t.debit = $1 or t.credit = $1`,
      [buyer]
    )
    expect(batches).toEqual([{ key: `order:${placed.orderId}:award` }])
    const growth = await sql(victim, `select amount::text as amount from rewards_balance_now where account = $1 and asset = 'GROWTH'`, [buyer])
    expect(Number(growth[0]?.amount ?? 0)).toBeGreaterThan(0)

    // and the ledger is sound (`medusa-rewards audit`)
    const audit = spawnSync(process.execPath, [path.join(REPO_ROOT, "bin/medusa-rewards.js"), "audit"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { ...process.env, DATABASE_URL: databaseUrl(victim) },
    })
    expect(audit.stdout).toMatch(/^ledger sound: /)
    expect(audit.status).toBe(0)
  }, 180_000)
})
