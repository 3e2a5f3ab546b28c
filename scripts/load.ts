/**
 * `npm run load`: concurrent shoppers check out through the store API of a running store, for
 * a bounded time; then the rewards ledger is audited and every completed order must have exactly
 * one award (none lost, none doubled).
 *
 * 1. PostgreSQL: a fresh database on the server of DATABASE_URL (created here, dropped at the
 *    end), else an embedded server (scripts/lib/embedded-postgres.js) in a temporary directory
 *    (scripts/lib/database.ts).
 * 2. `medusa db:migrate` (the repository's medusa-config.ts; a program with every scheme on,
 *    CNY, UTC), then `medusa exec ./scripts/load/seed.ts`: a store, the shoppers' accounts and
 *    their referral tree. Meanwhile the store is built as a deployed one is: `medusa build` of
 *    the repository as an app, in a temporary directory (scripts/lib/processes.ts `buildApp`).
 * 3. The store: `medusa start` of that build with NODE_ENV=production, as deployed (`--source`:
 *    from the repository's TypeScript sources with NODE_ENV=development, as `npm run demo`
 *    serves it; no measurable difference in throughput on a 2-core machine):
 *    - default: one instance in `shared` mode (HTTP, subscribers and jobs in one process; local
 *      event bus, in-memory workflow engine);
 *    - `--redis`: the production topology (docs/medusa-config.production.ts): a `redis-server`
 *      of its own on loopback, `--servers` `server` instances (default 1) taking the HTTP load
 *      (shopper i talks to server i mod N: bearer tokens and carts need no affinity) and one
 *      `worker` instance handling the events from Redis. Needs Debian's `redis-server`.
 *    A checkout's server time is Node's, not PostgreSQL's: under load the one store process
 *    runs a core flat out while each PostgreSQL backend stays near 5 %; more server processes
 *    are the way to use more cores.
 * 4. `--shoppers` shoppers (default 200) each run checkouts back to back over HTTP on loopback,
 *    as a storefront does: create a cart with the item and address (POST /store/carts), add the
 *    shipping method, create the payment collection and a session with the system provider,
 *    complete the cart: the five requests Medusa's store API needs, each asking for the fields
 *    the next step uses (`?fields=id`) instead of the whole refetched cart. New checkouts start
 *    until `--seconds` (default 60) have passed; checkouts under way then finish, for at most
 *    `--grace` more seconds (default 600; then they are abandoned and counted). First, one
 *    shopper alone: WARMUPS checkouts, then ALONE more whose median is the latency of a
 *    checkout on an idle store.
 * 5. Waits until the event bus has delivered the order.placed of every order in Medusa's order
 *    table (at most `--drain` seconds, default 300), stops the store, and reports: completed
 *    checkouts and throughput (completed ÷ time until the last one finished), p50/p99 of the
 *    whole checkout, of the completion request and of each request, errors; the count check
 *    (every order in Medusa: its placed event applied once, exactly one award batch; lost and
 *    doubled) and `medusa-rewards audit` on the database. Exit code 1 if an award is lost or
 *    doubled or the audit fails.
 *
 *   npm run load                                # 200 shoppers, 60 s, one shared instance
 *   npm run load -- --seconds 30 --shoppers 50
 *   npm run load -- --redis                     # server + worker on Redis
 *   npm run load -- --redis --servers 2         # two servers + a worker on Redis
 *   npm run load -- --source                    # served from the sources (development mode)
 *   npm run load -- --save .tmp/load/result.json
 *
 * Medusa's output goes to .tmp/load/*.log.
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { Client } from "pg"
import { temporaryDatabase } from "./lib/database"
import { UsageError, parseOptions } from "./lib/options"
import {
  type Launched,
  REPO_ROOT,
  buildApp,
  freePort,
  launchMedusa,
  runMedusa,
  sleep,
  startRedis,
  stopAll,
  stopProcess,
  waitForHealth,
} from "./lib/processes"
import type { LoadSeed } from "./load/seed"

const ROOT = REPO_ROOT
const LOG_DIR = path.join(ROOT, ".tmp", "load")

const PROGRAM = {
  currency: "CNY",
  timezone: "UTC",
  scale: 4,
  schemes: {
    growth: { enabled: true },
    cycle: { enabled: true, weightUnit: "100", tiers: [{ name: "V1", min: 1, max: null, rate: "0.05" }] },
    release: { enabled: true, levels: [{ threshold: "300", multiple: "2.5" }], teamRewardsEnabled: true },
  },
}

const say = (message: string) => process.stderr.write(`[load] ${message}\n`)
const WARMUPS = 5
const ALONE = 5

/** Undone at the end (or on a signal), last first. */
const cleanups: (() => Promise<void>)[] = []

// ---------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------

function parseArgs(argv: string[]) {
  const { options: opts, flags } = parseOptions(argv, {
    options: ["seconds", "shoppers", "drain", "grace", "save", "servers"],
    flags: ["redis", "source", "help"],
  })
  const number = (name: string, fallback: number) => {
    const n = opts[name] === undefined ? fallback : Number(opts[name])
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive whole number`)
    return n
  }
  return {
    seconds: number("seconds", 60),
    shoppers: number("shoppers", 200),
    drain: number("drain", 300),
    grace: number("grace", 600),
    servers: number("servers", 1),
    save: opts.save,
    redis: flags.has("redis"),
    source: flags.has("source"),
    help: flags.has("help"),
  }
}

// ---------------------------------------------------------------------------------------
// Shoppers
// ---------------------------------------------------------------------------------------

interface Checkout {
  orderId: string
  totalMs: number
  completeMs: number
  /** milliseconds per request of the checkout, by step */
  steps: Record<string, number>
}

class HttpError extends Error {
  constructor(
    readonly step: string,
    readonly status: number,
    body: string
  ) {
    super(`${step}: HTTP ${status} ${body.slice(0, 300)}`)
  }
}

function storeClient(base: string, seed: LoadSeed, token: string, signal?: AbortSignal) {
  const headers = {
    "content-type": "application/json",
    "x-publishable-api-key": seed.publishableKey,
    authorization: `Bearer ${token}`,
  }
  const post = async (step: string, urlPath: string, body: unknown): Promise<any> => {
    const t = performance.now()
    const res = await fetch(`${base}${urlPath}`, { method: "POST", headers, body: JSON.stringify(body), signal })
    const text = await res.text()
    post.last[step] = performance.now() - t
    if (res.status >= 300) throw new HttpError(step, res.status, text)
    return JSON.parse(text)
  }
  post.last = {} as Record<string, number>
  return post
}

/** One storefront checkout of a signed-in customer: cart, shipping, payment, completion. */
async function checkout(post: ReturnType<typeof storeClient>, seed: LoadSeed, n: number): Promise<Checkout> {
  const started = performance.now()
  const address = {
    first_name: "Load",
    last_name: `Shopper ${n}`,
    address_1: "1 Load Street",
    city: "Shanghai",
    postal_code: "200000",
    country_code: seed.country,
    phone: "13800000000",
  }
  const { cart } = await post("create cart", "/store/carts?fields=id", {
    region_id: seed.regionId,
    items: [{ variant_id: seed.variantId, quantity: 1 + (n % 3) }],
    shipping_address: address,
    billing_address: address,
  })
  await post("shipping method", `/store/carts/${cart.id}/shipping-methods?fields=id`, { option_id: seed.shippingOptionId })
  const { payment_collection } = await post("payment collection", "/store/payment-collections?fields=id", { cart_id: cart.id })
  await post("payment session", `/store/payment-collections/${payment_collection.id}/payment-sessions?fields=id`, {
    provider_id: "pp_system_default",
  })
  const t = performance.now()
  const done = await post("complete", `/store/carts/${cart.id}/complete?fields=id`, {})
  const completeMs = performance.now() - t
  if (done.type !== "order") throw new HttpError("complete", 200, JSON.stringify(done.error ?? done))
  return { orderId: done.order.id, totalMs: performance.now() - started, completeMs, steps: { ...post.last } }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2))
  if (args.help) {
    process.stdout.write(`${readFileSync(__filename, "utf8").split("*/")[0]}*/\n`)
    return 0
  }
  mkdirSync(LOG_DIR, { recursive: true })
  const work = mkdtempSync(path.join(os.tmpdir(), "medusa-rewards-load-"))
  cleanups.push(async () => rmSync(work, { recursive: true, force: true }))
  const programFile = path.join(work, "program.json")
  writeFileSync(programFile, JSON.stringify(PROGRAM))
  const served = args.source ? "from the sources (development mode)" : "from a production build"
  say(`${args.shoppers} shoppers for ${args.seconds} s against ${args.redis ? `${args.servers} server(s) and a worker on Redis` : "one shared instance"}, ${served}`)

  // 1. PostgreSQL
  const database = await temporaryDatabase("medusa_rewards_load", { log: say, tmpPrefix: "medusa-rewards-load-pg-" })
  cleanups.push(() => database.drop())
  const databaseUrl = database.url
  const postgres = database.label
  say(`database ${database.name} on ${postgres}`)

  // Redis, for --redis
  let redisUrl: string | undefined
  if (args.redis) {
    const redis = await startRedis({ logFile: path.join(LOG_DIR, "redis.log") })
    cleanups.push(() => redis.stop())
    redisUrl = redis.url
    say(`redis-server on ${redis.url} (no persistence)`)
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    MEDUSA_REWARDS_PROGRAM_FILE: programFile,
    MEDUSA_REWARDS_ADMIN: "false",
    MEDUSA_DISABLE_TELEMETRY: "true",
    NODE_ENV: "development",
    LOG_LEVEL: process.env.LOG_LEVEL || "warn",
    ...(redisUrl ? { MEDUSA_REWARDS_REDIS_URL: redisUrl } : {}),
  }
  // medusa-config.ts reads DATABASE_URL first; DB_* would only confuse a reader
  for (const key of ["DB_HOST", "DB_PORT", "DB_USERNAME", "DB_PASSWORD", "DB_TEMP_NAME", "MEDUSA_WORKER_MODE"]) delete env[key]
  const log = (name: string) => ({ logFile: path.join(LOG_DIR, `${name}.log`) })

  // 2. migrations and the seed, while the store is built
  const building = args.source
    ? Promise.resolve(null)
    : (async () => {
        const t = performance.now()
        const dir = await buildApp(path.join(work, "app"), { env, ...log("build") })
        say(`store built in ${((performance.now() - t) / 1000).toFixed(1)} s`)
        return dir
      })()
  building.catch(() => undefined) // awaited below
  let t = performance.now()
  say("medusa db:migrate")
  await runMedusa("migrate", ["db:migrate"], { env, ...log("migrate") })
  say(`migrated in ${((performance.now() - t) / 1000).toFixed(1)} s; seeding the store and ${args.shoppers} shoppers`)
  t = performance.now()
  const seedFile = path.join(work, "seed.json")
  await runMedusa("seed", ["exec", "./scripts/load/seed.ts"], { env: { ...env, LOAD_SHOPPERS: String(args.shoppers), LOAD_OUT: seedFile }, ...log("seed") })
  const seed = JSON.parse(readFileSync(seedFile, "utf8")) as LoadSeed
  say(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`)

  // 3. the store
  const build = await building
  const start = (name: string, port: number, mode?: string): Launched =>
    launchMedusa(name, ["start", "--port", String(port)], {
      cwd: build ?? undefined,
      env: { ...env, ...(build ? { NODE_ENV: "production" } : {}), ...(mode ? { MEDUSA_WORKER_MODE: mode } : {}) },
      ...log(name),
    })
  if (args.servers > 1 && !args.redis) throw new Error("--servers needs --redis (events must reach the worker from every server)")
  const ports: number[] = []
  for (let i = 0; i < args.servers; i++) ports.push(await freePort())
  const servers = ports.map((port, i) =>
    args.redis ? start(args.servers > 1 ? `server-${i + 1}` : "server", port, "server") : start("store", port)
  )
  let worker: Launched | undefined
  let workerPort = 0
  if (args.redis) {
    workerPort = await freePort()
    worker = start("worker", workerPort, "worker")
  }
  await Promise.all(servers.map((server, i) => waitForHealth(ports[i], server)))
  if (worker) await waitForHealth(workerPort, worker)
  const bases = ports.map((port) => `http://127.0.0.1:${port}`)
  const base = bases[0]
  say(`store on ${bases.join(", ")}${worker ? ` (worker on port ${workerPort})` : ""}`)

  // one shopper alone: the warm-up (first-request work, the JIT), then the idle-store latency
  const solo = storeClient(base, seed, seed.shoppers[0].token)
  for (let i = 0; i < WARMUPS; i++) await checkout(solo, seed, i)
  const alones: Checkout[] = []
  for (let i = 0; i < ALONE; i++) alones.push(await checkout(solo, seed, WARMUPS + i))
  const alone = alones.sort((a, b) => a.totalMs - b.totalMs)[Math.floor(ALONE / 2)]
  say(`one checkout alone (median of ${ALONE}): ${Math.round(alone.totalMs)} ms (${Object.entries(alone.steps).map(([k, v]) => `${k} ${Math.round(v)}`).join(", ")})`)

  // 4. the load
  const completed: Checkout[] = []
  const errors = new Map<string, number>()
  const loadStarted = performance.now()
  const deadline = loadStarted + args.seconds * 1000
  let inFlight = 0
  let peak = 0
  // checkouts under way at the deadline finish, but not after `--grace` more seconds
  const abort = new AbortController()
  const hardStop = setTimeout(() => abort.abort(), (args.seconds + args.grace) * 1000)
  let aborted = 0
  const progress = setInterval(() => {
    const s = (performance.now() - loadStarted) / 1000
    say(`${s.toFixed(0)} s: ${completed.length} checkouts, ${[...errors.values()].reduce((a, b) => a + b, 0)} errors, ${inFlight} in flight`)
  }, 10_000)
  await Promise.all(
    seed.shoppers.map(async (shopper, i) => {
      const post = storeClient(bases[i % bases.length], seed, shopper.token, abort.signal)
      let n = 0
      while (performance.now() < deadline) {
        inFlight++
        peak = Math.max(peak, inFlight)
        try {
          completed.push(await checkout(post, seed, i * 1000 + n++))
        } catch (e) {
          if (abort.signal.aborted) {
            aborted++
            break
          }
          const key = e instanceof HttpError ? `${e.step}: HTTP ${e.status}` : String((e as Error)?.message ?? e).slice(0, 120)
          errors.set(key, (errors.get(key) ?? 0) + 1)
          if ((errors.get(key) ?? 0) === 1) say(`first error of its kind: ${(e as Error).message}`)
          await sleep(200)
        } finally {
          inFlight--
        }
      }
    })
  )
  clearInterval(progress)
  clearTimeout(hardStop)
  const elapsed = (performance.now() - loadStarted) / 1000

  // 5. the awards: wait for the bus to deliver every order.placed of every order Medusa has
  // (the client's completed checkouts, the warm-ups, and any completion the client gave up on)
  const pg = new Client({ connectionString: databaseUrl })
  await pg.connect()
  const orderIds = (await pg.query(`select id from "order" where deleted_at is null`)).rows.map((r) => r.id as string)
  const known = new Set(orderIds)
  const missing = completed.filter((c) => !known.has(c.orderId)).length
  const drainStarted = performance.now()
  let awarded = 0
  for (;;) {
    const { rows } = await pg.query(
      `select count(*)::int as n from rewards_event where status = 'applied' and key = any($1::text[])`,
      [orderIds.map((id) => `order:${id}:placed`)]
    )
    awarded = rows[0].n
    if (awarded === orderIds.length || performance.now() - drainStarted > args.drain * 1000) break
    await sleep(1000)
  }
  const drainSeconds = (performance.now() - drainStarted) / 1000
  say(`event bus drained in ${drainSeconds.toFixed(1)} s; stopping the store`)
  for (const server of servers) await stopProcess(server)
  if (worker) await stopProcess(worker)

  // the count check, from the database
  const medusaOrders = orderIds.length
  const [counts] = (
    await pg.query(
      `with mine as (select unnest($1::text[]) as order_id)
       select
         (select count(*)::int from mine m where (select count(*) from rewards_event e where e.key = 'order:' || m.order_id || ':placed' and e.status = 'applied') = 1) as placed_once,
         (select count(*)::int from mine m where not exists (select 1 from rewards_transfer_batch b where b.key = 'order:' || m.order_id || ':award')) as lost,
         (select count(*)::int from (select key from rewards_transfer_batch where key like 'order:%:award' group by key having count(*) > 1) d) as doubled,
         (select count(*)::int from rewards_transfer_batch where key like 'order:%:award') as award_batches,
         (select count(*)::int from rewards_order) as rewards_orders`,
      [orderIds]
    )
  ).rows
  const unexpected = (await pg.query(`select status, count(*)::int as n from rewards_event where kind = 'order' and status <> 'applied' group by 1`)).rows
  await pg.end()

  const audit = spawnSync(process.execPath, [path.join(ROOT, "bin/medusa-rewards.js"), "audit"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, DATABASE_URL: databaseUrl },
  })

  const total = completed.map((c) => c.totalMs).sort((a, b) => a - b)
  const complete = completed.map((c) => c.completeMs).sort((a, b) => a - b)
  const errorCount = [...errors.values()].reduce((a, b) => a + b, 0)
  const ms = (x: number) => `${Math.round(x)} ms`
  const ok =
    counts.lost === 0 &&
    counts.doubled === 0 &&
    counts.placed_once === orderIds.length &&
    counts.award_batches === orderIds.length &&
    missing === 0 &&
    audit.status === 0
  const lines = [
    "",
    `medusa-rewards load test: ${args.shoppers} shoppers, ${args.seconds} s, ${args.redis ? `${args.servers} server${args.servers > 1 ? "s" : ""} + a worker on Redis (event bus, workflow engine, locking)` : "one shared instance (local event bus)"} ${served}, ${postgres}, ${os.cpus().length} CPUs (load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")})`,
    `  one checkout alone      ${Math.round(alone.totalMs)} ms, median of ${ALONE} after ${WARMUPS} warm-ups (${Object.entries(alone.steps).map(([k, v]) => `${k} ${Math.round(v)}`).join(", ")})`,
    `  checkouts completed     ${completed.length} in ${elapsed.toFixed(1)} s = ${(completed.length / elapsed).toFixed(2)}/s   (errors ${errorCount}, given up at the grace limit ${aborted}, peak ${peak} in flight)`,
    `  checkout (5 requests)   p50 ${ms(percentile(total, 50))}   p99 ${ms(percentile(total, 99))}   max ${ms(total[total.length - 1] ?? NaN)}`,
    `  cart completion         p50 ${ms(percentile(complete, 50))}   p99 ${ms(percentile(complete, 99))}   max ${ms(complete[complete.length - 1] ?? NaN)}`,
    `  per request (p50/p99)   ${["create cart", "shipping method", "payment collection", "payment session", "complete"]
      .map((step) => {
        const xs = completed.map((c) => c.steps[step]).sort((a, b) => a - b)
        return `${step} ${Math.round(percentile(xs, 50))}/${Math.round(percentile(xs, 99))}`
      })
      .join(" · ")} ms`,
    ...[...errors.entries()].map(([k, n]) => `  error ×${n}: ${k}`),
    `  awards                  every order.placed delivered ${awarded === orderIds.length ? `within ${drainSeconds.toFixed(1)} s after the load` : `NOT within ${args.drain} s (${awarded} of ${orderIds.length})`}`,
    `  count check             orders in Medusa ${medusaOrders} (${completed.length} completed by shoppers, ${WARMUPS + ALONE} alone, ${medusaOrders - completed.length - WARMUPS - ALONE} completed after the client gave up; ${missing} completed checkouts not in Medusa); placed events applied once ${counts.placed_once}; award batches ${counts.award_batches}; rewards orders ${counts.rewards_orders}; lost ${counts.lost}; doubled ${counts.doubled}` +
      (unexpected.length ? `; order events not applied: ${JSON.stringify(unexpected)}` : ""),
    `  audit                   ${audit.stdout.trim().split("\n")[0] || audit.stderr.trim()} (exit ${audit.status})`,
    `  ${ok ? "OK: every completed order has exactly one award, the ledger is sound" : "FAILED"}`,
    "",
  ]
  process.stdout.write(lines.join("\n"))
  if (args.save) {
    mkdirSync(path.dirname(path.resolve(args.save)), { recursive: true })
    writeFileSync(
      args.save,
      JSON.stringify(
        {
          args,
          alone: { totalMs: alone.totalMs, steps: alone.steps },
          elapsed,
          completed: completed.length,
          throughput: completed.length / elapsed,
          errors: Object.fromEntries(errors),
          checkoutMs: { p50: percentile(total, 50), p99: percentile(total, 99) },
          completeMs: { p50: percentile(complete, 50), p99: percentile(complete, 99) },
          drainSeconds,
          counts: { ...counts, medusaOrders, awarded },
          audit: { status: audit.status, stdout: audit.stdout },
        },
        null,
        2
      )
    )
  }
  return ok ? 0 : 1
}

async function cleanup() {
  await stopAll()
  for (const fn of cleanups.splice(0).reverse()) await fn().catch((e) => say(`cleanup: ${e?.message ?? e}`))
}

let stopping = false
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    say(`${signal}: stopping`)
    cleanup().finally(() => process.exit(130))
  })
}

main()
  .then(async (code) => {
    await cleanup()
    process.exit(code)
  })
  .catch(async (e) => {
    say(`failed: ${e instanceof UsageError ? e.message : (e?.stack ?? e)}`)
    await cleanup()
    process.exit(1)
  })
