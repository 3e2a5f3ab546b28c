/**
 * `npm run bench:orders`: the award path and the cart completion of a real Medusa store with a
 * million members (issue: "award p99 ≤ 50 ms and independent of referral depth; the plugin
 * adds ≤ 10 % to cart completion").
 *
 * 1. PostgreSQL: a fresh database on the server of DATABASE_URL (created here, dropped at
 *    the end), else an embedded server (scripts/lib/embedded-postgres.js) in a temporary
 *    directory, removed at the end.
 * 2. `medusa db:migrate` with the root medusa-config.ts and a program file (every scheme on,
 *    CNY, UTC: bench/lib/orders-program.ts) named by MEDUSA_REWARDS_PROGRAM_FILE.
 * 3. Two Medusa processes on that database, each `medusa exec` (Medusa's container, local
 *    event bus, in-memory workflow engine), driven from here over IPC:
 *    - WITH the plugin: the repository's app (bench/lib/orders-plugin-body.ts) — seeds
 *      the members with set-based SQL, builds the store and the buyers, checks out carts
 *      (its order.placed subscriber awards each order) and awards the other process's orders;
 *    - WITHOUT the plugin: Medusa's defaults only, from a throwaway app directory
 *      (bench/lib/orders-bare-body.ts) — checks out carts, nothing else.
 *    Orders run in blocks, without/with/with/without …, so noise and drift hit both alike.
 * 4. Prints the table and whether the targets are met (exit code 0; 1 only on an error).
 *
 *   npm run bench:orders                                      # 1 M members, chain 10 000, 2 000 orders
 *   npm run bench:orders -- --members 100000 --orders 200     # a quick run
 *   npm run bench:orders -- --explain --save result.json      # every EXPLAIN; keep every sample
 *   npm run bench:orders -- --report result.json              # print a saved result again
 *
 * Options (or BENCH_MEMBERS, BENCH_CHAIN, BENCH_ORDERS, BENCH_BLOCK, BENCH_WARMUP):
 *   --members N   members in the database before the run (default 1 000 000)
 *   --chain N     depth of the referral chain (default min(10 000, members / 2))
 *   --orders N    orders measured, half without and half with the plugin (default 2 000;
 *                 rounded up to whole without/with/with/without rounds)
 *   --block N     orders per block (default 4, even: shallow and deep buyers alternate)
 *   --warmup N    orders before measuring (default 16)
 *   --explain     print the EXPLAIN of every rewards-table statement of one award
 *   --save FILE   keep the result with every sample as JSON
 *   --report FILE print the report of a saved result and exit
 * Medusa's output goes to .tmp/bench-orders/{migrate,plugin,bare}.log.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import type { CompleteArgs, Completion, DepthClass } from "./lib/orders-checkout"
import type { ChildMessage, ParentMessage } from "./lib/orders-ipc"
import type { AwardTiming, PluginCompletion, PluginReady, TraceResult } from "./lib/orders-plugin-body"
import { temporaryDatabase } from "../scripts/lib/database"
import { medusaCli, tail } from "../scripts/lib/processes"
import { parseOptions } from "../scripts/lib/options"
import { BENCH_PROGRAM } from "./lib/orders-program"
import { type BenchResult, type OrderSample, renderReport } from "./lib/orders-report"

const ROOT = path.resolve(__dirname, "..")
const LOG_DIR = path.join(ROOT, ".tmp", "bench-orders")

/** A log file's text ("" when it cannot be read). */
function readLog(file: string): string {
  try {
    return readFileSync(file, "utf8")
  } catch {
    return ""
  }
}

const say = (message: string) => process.stderr.write(`[bench] ${message}\n`)
const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10

// ---------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------

const NUMERIC = ["members", "chain", "orders", "block", "warmup"] as const

function parseArgs(argv: string[]) {
  const { options: opts, flags } = parseOptions(argv, { options: [...NUMERIC, "save", "report"], flags: ["explain", "help"] })
  const number = (name: (typeof NUMERIC)[number], envName: string, fallback: number) => {
    const raw = (opts[name] ?? process.env[envName] ?? "").replace(/_/g, "")
    if (raw === "") return fallback
    if (!/^\d+$/.test(raw)) throw new Error(`--${name} must be a whole number`)
    return Number(raw)
  }
  const members = number("members", "BENCH_MEMBERS", 1_000_000)
  const chain = number("chain", "BENCH_CHAIN", Math.min(10_000, Math.floor(members / 2)))
  const block = number("block", "BENCH_BLOCK", 4)
  if (block < 2 || block % 2 !== 0) throw new Error("--block must be even and at least 2")
  const round = 2 * block // one block without and one with the plugin
  const orders = Math.max(round, Math.ceil(number("orders", "BENCH_ORDERS", 2_000) / round) * round)
  const warmup = Math.ceil(number("warmup", "BENCH_WARMUP", 16) / round) * round
  if (chain < 1 || chain >= members) throw new Error("--chain must be at least 1 and less than --members")
  return { members, chain, block, orders, warmup, save: opts.save, report: opts.report, flags }
}

// ---------------------------------------------------------------------------------------
// Medusa processes
// ---------------------------------------------------------------------------------------

const state = {
  children: new Set<ChildProcess>(),
  cleanup: [] as (() => Promise<void>)[],
  stopping: false,
}

/** `medusa <args>` from `cwd`: stdout to .tmp/bench-orders/<name>.log, stderr shown there and here. */
function spawnMedusa(name: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, ipc: boolean) {
  const logFile = path.join(LOG_DIR, `${name}.log`)
  const out = openSync(logFile, "w")
  const child = spawn(process.execPath, [medusaCli(), ...args], {
    cwd,
    env,
    detached: true, // its own process group: killed as a whole on cleanup
    stdio: ipc ? ["ignore", out, "pipe", "ipc"] : ["ignore", out, "pipe"],
  })
  closeSync(out)
  state.children.add(child)
  child.stderr!.on("data", (chunk: Buffer) => {
    const text = chunk.toString()
    process.stderr.write(text.replace(/^(?!\[bench\])(.+)$/gm, `[${name}] $1`))
  })
  const exited = new Promise<void>((resolve, reject) => {
    child.on("exit", (code, signal) => {
      state.children.delete(child)
      if (code === 0) return resolve()
      reject(new Error(`medusa ${args[0]} (${name}) ended with ${signal ? `signal ${signal}` : `exit ${code}`}; ${logFile}:\n${tail(readLog(logFile))}`))
    })
    child.on("error", reject)
  })
  exited.catch(() => undefined) // observed by whoever waits on it
  return { child, exited, logFile }
}

/** A `medusa exec` process that serves tasks over IPC (bench/lib/orders-ipc.ts). */
class Worker<Ready> {
  readonly ready: Promise<Ready>
  private next = 1
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>()
  private readonly proc: ReturnType<typeof spawnMedusa>

  constructor(
    readonly name: string,
    script: string,
    env: NodeJS.ProcessEnv,
    cwd: string
  ) {
    this.proc = spawnMedusa(name, ["exec", script], env, cwd, true)
    let onReady!: (v: Ready) => void
    this.ready = new Promise<Ready>((resolve, reject) => {
      onReady = resolve
      this.proc.exited.then(() => reject(new Error(`${name} exited before it was ready`)), reject)
    })
    this.proc.child.on("message", (m: ChildMessage) => {
      if (m.type === "ready") return onReady(m.data as Ready)
      const p = this.pending.get(m.id)
      if (!p) return
      this.pending.delete(m.id)
      if (m.ok) p.resolve(m.data)
      else p.reject(new Error(`${name}: ${m.error}`))
    })
    this.proc.exited.catch((e: Error) => {
      for (const p of this.pending.values()) p.reject(e)
      this.pending.clear()
    })
  }

  task<T>(name: string, args: unknown): Promise<T> {
    const id = this.next++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      const message: ParentMessage = { type: "task", id, name, args }
      this.proc.child.send(message, (e) => {
        if (e) {
          this.pending.delete(id)
          reject(e)
        }
      })
    })
  }

  async exit(): Promise<void> {
    const message: ParentMessage = { type: "exit" }
    this.proc.child.send(message)
    await this.proc.exited
  }
}

/** An app directory with Medusa's defaults only: the root config minus the rewards module, no src/. */
function writeBareApp(dir: string): void {
  mkdirSync(dir, { recursive: true })
  symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir")
  // the medusa CLI runs its commands only where package.json depends on @medusajs/medusa
  const root = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> }
  const dependencies = Object.fromEntries(
    ["@medusajs/medusa", "@medusajs/framework", "@medusajs/cli"].map((name) => [name, root.devDependencies[name]])
  )
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "medusa-rewards-bench-bare", version: "0.0.0", private: true, dependencies })
  )
  // ts-node (registered by the medusa CLI) transpiles bench/lib/*.ts with swc, as in the repo
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2021",
        module: "Node16",
        moduleResolution: "Node16",
        esModuleInterop: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: true,
        resolveJsonModule: true,
      },
      "ts-node": { swc: true },
    })
  )
  writeFileSync(
    path.join(dir, "medusa-config.js"),
    `// Generated by bench/orders.ts: the repository's medusa-config.ts without the rewards module.
const { defineConfig } = require("@medusajs/framework/utils")
const cors = "http://localhost:8000,http://localhost:9000,http://localhost:5173,http://localhost:7001"
const config = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    http: {
      storeCors: cors,
      adminCors: cors,
      authCors: cors,
      jwtSecret: "medusa-rewards-test-jwt-secret",
      cookieSecret: "medusa-rewards-test-cookie-secret",
    },
  },
  admin: { disable: true },
})
function isInstalled(name) {
  try {
    require.resolve(name + "/package.json", { paths: [${JSON.stringify(ROOT)}] })
    return true
  } catch {
    return false
  }
}
config.plugins = config.plugins.filter((p) => {
  const name = typeof p === "string" ? p : p.resolve
  return name !== "@medusajs/draft-order" || isInstalled(name)
})
module.exports = config
`
  )
}

async function cleanup(): Promise<void> {
  for (const child of state.children) {
    try {
      process.kill(-child.pid!, "SIGKILL")
    } catch {
      // gone
    }
  }
  while (state.cleanup.length > 0) {
    const step = state.cleanup.pop()!
    await step().catch((e) => say(`cleanup: ${(e as Error).message}`))
  }
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  if (args.flags.has("help")) {
    process.stdout.write(`${readFileSync(__filename, "utf8").split("*/")[0]}*/\n`)
    return
  }
  if (args.report) {
    const saved = JSON.parse(readFileSync(args.report, "utf8")) as BenchResult
    process.stdout.write(renderReport(saved, { verbose: args.flags.has("explain") }).text)
    return
  }
  const started = performance.now()
  const { members, chain, block, orders, warmup } = args
  const timings: Record<string, number> = {}
  mkdirSync(LOG_DIR, { recursive: true })
  const work = mkdtempSync(path.join(os.tmpdir(), "medusa-rewards-bench-"))
  state.cleanup.push(async () => rmSync(work, { recursive: true, force: true }))
  const programFile = path.join(work, "program.json")
  writeFileSync(programFile, JSON.stringify(BENCH_PROGRAM, null, 2))
  say(`members ${members}, chain ${chain}, orders ${orders} (+${warmup} warm-up), blocks of ${block}`)

  // 1. PostgreSQL
  const db = await temporaryDatabase("medusa_rewards_bench", { log: say, tmpPrefix: "medusa-rewards-bench-pg-" })
  state.cleanup.push(() => db.drop())
  const databaseUrl = db.url
  const postgresSource = db.label
  say(`database ${db.name} (${db.label})`)

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    MEDUSA_REWARDS_PROGRAM_FILE: programFile,
    MEDUSA_REWARDS_ADMIN: "false",
    MEDUSA_DISABLE_TELEMETRY: "true",
    LOG_LEVEL: process.env.LOG_LEVEL || "error",
    BENCH_MEMBERS: String(members),
    BENCH_CHAIN: String(chain),
    BENCH_BUYERS: String(warmup + orders + 2),
  }
  // medusa-config.ts reads DATABASE_URL first; DB_* would only confuse a reader
  for (const key of ["DB_HOST", "DB_PORT", "DB_USERNAME", "DB_PASSWORD", "DB_TEMP_NAME"]) delete env[key]

  // 2. migrations
  let t = performance.now()
  say("medusa db:migrate")
  await spawnMedusa("migrate", ["db:migrate"], env, ROOT, false).exited
  timings.migrate = seconds(t)
  say(`migrated in ${timings.migrate} s`)

  // 3. the two Medusa processes
  const plugin = new Worker<PluginReady>("plugin", "./bench/lib/orders-plugin-body.ts", env, ROOT)
  const setup = await plugin.ready
  Object.assign(timings, setup.timings)
  const bareDir = path.join(work, "bare-app")
  writeBareApp(bareDir)
  const bareEnv = { ...env }
  delete bareEnv.MEDUSA_REWARDS_PROGRAM_FILE
  const bare = new Worker<{ rewardsModule: boolean }>("bare", path.join(ROOT, "bench/lib/orders-bare-body.ts"), bareEnv, bareDir)
  await bare.ready

  // 4. the orders
  const samples: OrderSample[] = []
  const load: number[] = []
  const loadTimer = setInterval(() => load.push(os.loadavg()[0]), 5_000)
  const pattern = ["without", "with", "with", "without"] as const
  const total = warmup + orders
  // Shallow and deep buyers alternate within a block, and which comes first flips every
  // round, so each depth sees every position of a block (the first checkout or award after
  // a pause is slower) equally often in both modes.
  const queues: Record<DepthClass, PluginReady["buyers"]> = {
    shallow: setup.buyers.filter((b) => b.depth === "shallow"),
    deep: setup.buyers.filter((b) => b.depth === "deep"),
  }
  const take = (depth: DepthClass) => {
    const buyer = queues[depth].shift()
    if (!buyer) throw new Error(`no ${depth} buyer left`)
    return buyer
  }
  let prepareMs = 0
  t = performance.now()
  for (let b = 0; b < total / block; b++) {
    const mode = pattern[b % pattern.length]
    const from = b * block
    const flip = Math.floor(b / pattern.length) % 2
    const buyers = Array.from({ length: block }, (_, j) => take((j + flip) % 2 === 0 ? "shallow" : "deep"))
    const task: CompleteArgs = { store: setup.store, buyers }
    if (mode === "without") {
      const done = await bare.task<{ completions: Completion[]; prepareMs: number }>("complete", task)
      prepareMs += done.prepareMs
      const awards = await plugin.task<AwardTiming[]>("award", { orderIds: done.completions.map((c) => c.orderId) })
      done.completions.forEach((c, i) =>
        samples.push({
          n: from + i,
          warmup: from + i < warmup,
          mode,
          depth: c.buyer.depth,
          orderId: c.orderId,
          complete: c.complete,
          award: awards[i].award,
          untilAwarded: null,
          subscriberStart: null,
          steps: awards[i].steps,
        })
      )
    } else {
      const done = await plugin.task<{ completions: PluginCompletion[]; prepareMs: number }>("complete", task)
      prepareMs += done.prepareMs
      done.completions.forEach((c, i) =>
        samples.push({
          n: from + i,
          warmup: from + i < warmup,
          mode,
          depth: c.depth,
          orderId: c.orderId,
          complete: c.complete,
          award: c.award,
          untilAwarded: c.untilAwarded,
          subscriberStart: c.subscriberStart,
          steps: null,
        })
      )
    }
    const count = from + block
    if (count % 200 === 0 || count === total) {
      const m = (mode: "without" | "with", k: "complete" | "award") => {
        const xs = samples.filter((s) => !s.warmup && s.mode === mode).map((s) => s[k]).sort((x, y) => x - y)
        return xs.length ? xs[Math.floor((xs.length - 1) / 2)].toFixed(1) : "—"
      }
      say(
        `${count}/${total} orders, ${seconds(t)} s, load ${os.loadavg()[0].toFixed(1)}: completion p50 without ${m("without", "complete")} / with ${m("with", "complete")} ms;` +
          ` award p50 explicit ${m("without", "award")} / subscriber ${m("with", "award")} ms`
      )
    }
  }
  clearInterval(loadTimer)
  timings.orders = seconds(t)
  timings.cartPreparation = Math.round(prepareMs / 100) / 10

  // 5. SQL trace of a shallow and a deep award, then the checks
  const trace = await plugin.task<TraceResult>("trace", { store: setup.store, buyers: [take("shallow"), take("deep")] })
  const orderIds = [...samples.map((s) => s.orderId), ...trace.awards.map((a) => a.orderId)]
  const checks = await plugin.task<Record<string, number>>("check", { orderIds })
  say(`checks: ${JSON.stringify(checks)}`)
  if (checks.matured !== orderIds.length || checks.tranches !== orderIds.length || checks.applied !== orderIds.length || checks.not_applied !== 0) {
    throw new Error(`not every order was awarded exactly as expected: ${JSON.stringify(checks)}`)
  }
  await Promise.all([bare.exit(), plugin.exit()])

  const result: BenchResult = {
    params: { members, chain, orders, block, warmup },
    environment: {
      ...setup.environment,
      postgresSource,
      cpus: `${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? "?"}`,
    },
    seed: { ...setup.seed, setupMaxRssMb: setup.maxRssMb },
    timings,
    load: {
      mean: load.length ? load.reduce((a, b) => a + b, 0) / load.length : os.loadavg()[0],
      max: load.length ? Math.max(...load) : os.loadavg()[0],
      cpus: os.cpus().length,
    },
    buyerDepths: setup.buyerDepths,
    samples,
    checks,
    trace,
  }
  if (args.save) writeFileSync(path.resolve(args.save), JSON.stringify(result))
  writeFileSync(path.join(LOG_DIR, "last-result.json"), JSON.stringify(result))
  process.stdout.write(renderReport(result, { wallSeconds: (performance.now() - started) / 1000, verbose: args.flags.has("explain") }).text)
}

if (require.main === module) {
  process.stdout.on("error", () => undefined) // a closed pipe (| head) must not skip the cleanup
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      if (state.stopping) return
      state.stopping = true
      say(`${signal}: stopping`)
      cleanup().finally(() => process.exit(130))
    })
  }
  main()
    .then(cleanup)
    .catch(async (e) => {
      say(`failed: ${e instanceof Error ? e.message : String(e)}`)
      await cleanup()
      process.exitCode = 1
    })
}
