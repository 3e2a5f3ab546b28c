/**
 * `npm run load`: concurrent shoppers check out through the store API of a running store, for
 * a bounded time; then the rewards ledger is audited and every completed order must have exactly
 * one award (none lost, none doubled).
 *
 * 1. PostgreSQL: a fresh database on the server of DATABASE_URL (created here, dropped at the
 *    end), else an embedded server (scripts/lib/embedded-postgres.js) in a temporary directory.
 * 2. `medusa db:migrate` (the repository's medusa-config.ts; a program with every scheme on,
 *    CNY, UTC), then `medusa exec ./scripts/load/seed.ts`: a store, the shoppers' accounts and
 *    their referral tree.
 * 3. The store, from the repository (`medusa start`, as `npm run demo` serves it):
 *    - default: one instance in `shared` mode (HTTP, subscribers and jobs in one process; local
 *      event bus, in-memory workflow engine);
 *    - `--redis`: the production topology (docs/medusa-config.production.ts): a `redis-server`
 *      of its own on loopback, one `server` instance taking the HTTP load and one `worker`
 *      instance handling the events from Redis. Needs Debian's `redis-server`.
 * 4. `--shoppers` shoppers (default 200) each run checkouts back to back over HTTP on loopback,
 *    as a storefront does: create a cart with the item and address (POST /store/carts), add the
 *    shipping method, create the payment collection and a session with the system provider,
 *    complete the cart. New checkouts start until `--seconds` (default 60) have passed;
 *    checkouts under way then finish, for at most `--grace` more seconds (default 600; then
 *    they are abandoned and counted). Three checkouts one after another first: the warm-up, and
 *    the latency of a checkout on an idle store.
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
 *   npm run load -- --save .tmp/load/result.json
 *
 * Medusa's output goes to .tmp/load/*.log.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { Client } from "pg"
import type { LoadSeed } from "./load/seed"

const ROOT = path.resolve(__dirname, "..")
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

interface EmbeddedServer {
  port: number
  url(database?: string): string
  createDatabase(name: string): Promise<void>
}
interface EmbeddedPostgres {
  start(options?: { log?: (m: string) => void; tmpPrefix?: string; exitHooks?: boolean }): Promise<EmbeddedServer>
  stop(server: EmbeddedServer | null | undefined, options?: { log?: (m: string) => void }): Promise<void>
}

const say = (message: string) => process.stderr.write(`[load] ${message}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------

function parseArgs(argv: string[]) {
  const opts: Record<string, string> = {}
  const flags = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${a} (see --help)`)
    const [name, inline] = a.slice(2).split("=", 2)
    if (name === "redis" || name === "help") {
      flags.add(name)
      continue
    }
    if (!["seconds", "shoppers", "drain", "grace", "save"].includes(name)) throw new Error(`unknown option --${name} (see --help)`)
    const value = inline ?? argv[++i]
    if (value === undefined) throw new Error(`--${name} needs a value`)
    opts[name] = value
  }
  const number = (name: string, fallback: number) => {
    const n = opts[name] === undefined ? fallback : Number(opts[name])
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive whole number`)
    return n
  }
  return {
    seconds: number("seconds", 60),
    shoppers: number("shoppers", 200),
    drain: number("drain", 300),
    grace: number("grace", 600),
    save: opts.save,
    redis: flags.has("redis"),
    help: flags.has("help"),
  }
}

// ---------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------

const state = {
  children: new Set<ChildProcess>(),
  cleanup: [] as (() => Promise<void>)[],
}

function medusaCli(): string {
  return path.join(path.dirname(require.resolve("@medusajs/cli/package.json")), "cli.js")
}

function logTail(file: string, lines = 30): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n")
  } catch {
    return ""
  }
}

/** A process of ours in its own process group, its output in .tmp/load/<name>.log. */
function launch(name: string, command: string, args: string[], env: NodeJS.ProcessEnv) {
  const logFile = path.join(LOG_DIR, `${name}.log`)
  const out = openSync(logFile, "w")
  const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ["ignore", out, out] })
  closeSync(out)
  state.children.add(child)
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.on("exit", (code, signal) => {
      state.children.delete(child)
      resolve({ code, signal })
    })
    child.on("error", () => resolve({ code: null, signal: null }))
  })
  return { child, exited, logFile }
}

async function medusa(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const p = launch(name, process.execPath, [medusaCli(), ...args], env)
  const { code, signal } = await p.exited
  if (code !== 0) throw new Error(`medusa ${args[0]} ended with ${signal ? `signal ${signal}` : `exit ${code}`}; ${p.logFile}:\n${logTail(p.logFile)}`)
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const group = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      // gone
    }
  }
  const exited = new Promise((r) => child.once("exit", r))
  group("SIGTERM")
  const done = await Promise.race([exited.then(() => true), sleep(20_000).then(() => false)])
  if (!done) group("SIGKILL")
  else group("SIGKILL") // whatever it left in its group
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.unref()
    s.on("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    })
  })
}

async function withPg<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

async function waitForHealth(port: number, proc: ReturnType<typeof launch>, timeoutMs = 240_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`Medusa exited while starting; ${proc.logFile}:\n${logTail(proc.logFile)}`)
    const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => null)
    if (res?.status === 200) return
    if (Date.now() > deadline) throw new Error(`no /health on port ${port} after ${timeoutMs / 1000} s; ${proc.logFile}`)
    await sleep(500)
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
  const { cart } = await post("create cart", "/store/carts", {
    region_id: seed.regionId,
    items: [{ variant_id: seed.variantId, quantity: 1 + (n % 3) }],
    shipping_address: address,
    billing_address: address,
  })
  await post("shipping method", `/store/carts/${cart.id}/shipping-methods`, { option_id: seed.shippingOptionId })
  const { payment_collection } = await post("payment collection", "/store/payment-collections", { cart_id: cart.id })
  await post("payment session", `/store/payment-collections/${payment_collection.id}/payment-sessions`, {
    provider_id: "pp_system_default",
  })
  const t = performance.now()
  const done = await post("complete", `/store/carts/${cart.id}/complete`, {})
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
  state.cleanup.push(async () => rmSync(work, { recursive: true, force: true }))
  const programFile = path.join(work, "program.json")
  writeFileSync(programFile, JSON.stringify(PROGRAM))
  say(`${args.shoppers} shoppers for ${args.seconds} s against ${args.redis ? "a server and a worker on Redis" : "one shared instance"}`)

  // 1. PostgreSQL
  const dbName = `medusa_rewards_load_${Date.now().toString(36)}`
  let databaseUrl: string
  let postgres: string
  if (process.env.DATABASE_URL) {
    const base = new URL(process.env.DATABASE_URL)
    const maintenance = new URL(base.toString())
    maintenance.pathname = "/postgres"
    await withPg(maintenance.toString(), (c) => c.query(`create database "${dbName}"`))
    state.cleanup.push(async () => {
      await withPg(maintenance.toString(), (c) => c.query(`drop database if exists "${dbName}" with (force)`))
      say(`database ${dbName} dropped`)
    })
    base.pathname = `/${dbName}`
    databaseUrl = base.toString()
    postgres = `DATABASE_URL's server`
  } else {
    const embedded = require("./lib/embedded-postgres") as EmbeddedPostgres
    const server = await embedded.start({ log: say, tmpPrefix: "medusa-rewards-load-pg-", exitHooks: false })
    state.cleanup.push(async () => {
      await embedded.stop(server, { log: say })
      say("embedded PostgreSQL stopped, its directory removed")
    })
    await server.createDatabase(dbName)
    databaseUrl = server.url(dbName)
    postgres = "embedded PostgreSQL (fsync off)"
  }
  say(`database ${dbName} on ${postgres}`)

  // Redis, for --redis
  let redisUrl: string | undefined
  if (args.redis) {
    const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" })
    if (which.status !== 0 || !which.stdout.trim()) throw new Error("--redis needs redis-server: apt-get install -y redis-server")
    const port = await freePort()
    const redis = launch("redis", which.stdout.trim(), ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], process.env)
    state.cleanup.push(() => stopChild(redis.child))
    redisUrl = `redis://127.0.0.1:${port}`
    for (let i = 0; ; i++) {
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, "127.0.0.1", () => (s.end(), resolve(true)))
        s.on("error", () => resolve(false))
      })
      if (up) break
      if (i > 100) throw new Error("redis-server did not start")
      await sleep(100)
    }
    say(`redis-server on 127.0.0.1:${port} (no persistence)`)
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    MEDUSA_REWARDS_PROGRAM_FILE: programFile,
    MEDUSA_REWARDS_ADMIN: "false",
    MEDUSA_DISABLE_TELEMETRY: "true",
    // as `npm run demo` serves the repository (NODE_ENV=production only changes Medusa's defaults)
    NODE_ENV: process.env.NODE_ENV === "production" ? "production" : "development",
    LOG_LEVEL: process.env.LOG_LEVEL || "warn",
    ...(redisUrl ? { MEDUSA_REWARDS_REDIS_URL: redisUrl } : {}),
  }
  // medusa-config.ts reads DATABASE_URL first; DB_* would only confuse a reader
  for (const key of ["DB_HOST", "DB_PORT", "DB_USERNAME", "DB_PASSWORD", "DB_TEMP_NAME", "MEDUSA_WORKER_MODE"]) delete env[key]

  // 2. migrations and the seed
  let t = performance.now()
  say("medusa db:migrate")
  await medusa("migrate", ["db:migrate"], env)
  say(`migrated in ${((performance.now() - t) / 1000).toFixed(1)} s; seeding the store and ${args.shoppers} shoppers`)
  t = performance.now()
  const seedFile = path.join(work, "seed.json")
  await medusa("seed", ["exec", "./scripts/load/seed.ts"], { ...env, LOAD_SHOPPERS: String(args.shoppers), LOAD_OUT: seedFile })
  const seed = JSON.parse(readFileSync(seedFile, "utf8")) as LoadSeed
  say(`seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`)

  // 3. the store
  const port = await freePort()
  const server = launch(args.redis ? "server" : "store", process.execPath, [medusaCli(), "start", "--port", String(port)], {
    ...env,
    ...(args.redis ? { MEDUSA_WORKER_MODE: "server" } : {}),
  })
  state.cleanup.push(() => stopChild(server.child))
  let worker: ReturnType<typeof launch> | undefined
  let workerPort = 0
  if (args.redis) {
    workerPort = await freePort()
    worker = launch("worker", process.execPath, [medusaCli(), "start", "--port", String(workerPort)], { ...env, MEDUSA_WORKER_MODE: "worker" })
    state.cleanup.push(() => stopChild(worker!.child))
  }
  await waitForHealth(port, server)
  if (worker) await waitForHealth(workerPort, worker)
  const base = `http://127.0.0.1:${port}`
  say(`store on ${base}${worker ? ` (worker on port ${workerPort})` : ""}`)

  // warm-up: a few checkouts one after another, so first-request work does not count; the last
  // is the unloaded baseline
  let alone: Checkout | undefined
  const WARMUPS = 3
  for (let i = 0; i < WARMUPS; i++) alone = await checkout(storeClient(base, seed, seed.shoppers[0].token), seed, i)
  say(`one checkout alone: ${Math.round(alone!.totalMs)} ms (${Object.entries(alone!.steps).map(([k, v]) => `${k} ${Math.round(v)}`).join(", ")})`)

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
      const post = storeClient(base, seed, shopper.token, abort.signal)
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
  await stopChild(server.child)
  if (worker) await stopChild(worker.child)

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
    `medusa-rewards load test: ${args.shoppers} shoppers, ${args.seconds} s, ${args.redis ? "server + worker on Redis (event bus, workflow engine, locking)" : "one shared instance (local event bus)"}, ${postgres}, ${os.cpus().length} CPUs (load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")})`,
    `  one checkout alone      ${Math.round(alone!.totalMs)} ms (complete ${Math.round(alone!.completeMs)} ms)`,
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
    `  count check             orders in Medusa ${medusaOrders} (${completed.length} completed by shoppers, ${WARMUPS} warm-up, ${medusaOrders - completed.length - WARMUPS} completed after the client gave up; ${missing} completed checkouts not in Medusa); placed events applied once ${counts.placed_once}; award batches ${counts.award_batches}; rewards orders ${counts.rewards_orders}; lost ${counts.lost}; doubled ${counts.doubled}` +
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
  for (const child of [...state.children]) await stopChild(child)
  for (const fn of state.cleanup.reverse()) await fn().catch((e) => say(`cleanup: ${e?.message ?? e}`))
  state.cleanup = []
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
    say(`failed: ${e?.stack ?? e}`)
    await cleanup()
    process.exit(1)
  })
