#!/usr/bin/env node
/**
 * `npm run demo`: a seeded Medusa store with the rewards plugin and its admin,
 * from a fresh checkout (after `npm install`), in one command.
 *
 * 1. PostgreSQL: the server named by DATABASE_URL (its database is created if
 *    missing), else an embedded one (scripts/lib/embedded-postgres.js) in a
 *    temporary directory, database `medusa-rewards-demo`;
 * 2. `medusa db:migrate`;
 * 3. `medusa exec ./scripts/demo/seed.ts`: admin user, store, catalog,
 *    customers in a referral tree, four past business days of orders, closed
 *    (a database seeded before is reused as is);
 * 4. `medusa start` from the repository root in development mode (the repo's
 *    `src/` as the app, the admin served by Vite at /app), waits for /health
 *    and /app, prints the URLs, the logins and a summary;
 * 5. on Ctrl-C (SIGINT), SIGTERM or SIGHUP: stops Medusa, then PostgreSQL, and
 *    removes the temporary directory.
 *
 * The root medusa-config.ts is the app config; the demo sets
 * MEDUSA_REWARDS_ADMIN=true (admin on) and MEDUSA_REWARDS_PROGRAM_FILE
 * (scripts/demo/program.json: growth, cycle and release, CNY).
 *
 * Environment: PORT (default 9000), DATABASE_URL, EMBEDDED_PG_PORT,
 * MEDUSA_REWARDS_PROGRAM_FILE (another program file), MEDUSA_REWARDS_DEMO_VERBOSE=1
 * (stream Medusa's output instead of writing it to .tmp/demo/*.log).
 *
 * Process layout: this script re-runs itself as a detached child (its own
 * process group) that does all the work. Ctrl-C in a terminal signals the whole
 * foreground process group; without this, PostgreSQL (a child process) would
 * get the SIGINT directly and shut down while Medusa still runs. The parent
 * forwards the signal to the child, which stops everything in order; the child
 * also stops when the parent disappears (its IPC channel closes).
 */
const { fork, spawn } = require("node:child_process")
const fs = require("node:fs")
const fsp = require("node:fs/promises")
const http = require("node:http")
const net = require("node:net")
const os = require("node:os")
const path = require("node:path")

const ROOT = path.resolve(__dirname, "..")
const WORKER_FLAG = "--demo-worker"
const DB_NAME = "medusa-rewards-demo"
const DEFAULT_PROGRAM_FILE = path.join(ROOT, "scripts", "demo", "program.json")
const LOG_DIR = path.join(ROOT, ".tmp", "demo")
const CORS = [
  "http://localhost:8000",
  "http://localhost:9000",
  "http://localhost:5173",
  "http://localhost:7001",
]
const STOP_TIMEOUT_MS = 20_000

// ---------------------------------------------------------------------------------------
// Parent: forwards signals to the worker
// ---------------------------------------------------------------------------------------

function supervise() {
  const child = fork(__filename, [WORKER_FLAG], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  })
  let signaled = 0
  const forward = (signal) => {
    signaled += 1
    if (signaled === 1) {
      process.stdout.write("\n")
      child.send({ type: "stop", signal }, () => {})
    } else if (signaled === 3) {
      process.stderr.write("[demo] still stopping; press Ctrl-C once more to kill everything\n")
    } else if (signaled > 3) {
      // Last resort: the worker's whole process group (Medusa, PostgreSQL).
      try {
        process.kill(-child.pid, "SIGKILL")
      } catch {}
    }
  }
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, forward)
  child.on("exit", (code, signal) => {
    process.exit(code ?? (signal ? 1 : 0))
  })
}

// ---------------------------------------------------------------------------------------
// Worker
// ---------------------------------------------------------------------------------------

const verbose = /^(1|true|yes)$/i.test(process.env.MEDUSA_REWARDS_DEMO_VERBOSE || "")

function say(message) {
  process.stdout.write(`[demo] ${message}\n`)
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`
}

const state = {
  stopping: null,
  /** running medusa child processes (each the leader of its own process group) */
  children: new Set(),
  server: null, // embedded PostgreSQL
  workDir: null,
}

function medusaCli() {
  return path.join(path.dirname(require.resolve("@medusajs/cli/package.json")), "cli.js")
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once("error", () => resolve(false))
    server.listen(port, () => server.close(() => resolve(true)))
  })
}

/**
 * Runs `medusa <args>` from the repository root; its output goes to
 * .tmp/demo/<name>.log (or to the terminal when verbose). Resolves on exit 0.
 */
function medusa(name, args, env, { wait = true } = {}) {
  const logFile = path.join(LOG_DIR, `${name}.log`)
  const out = verbose ? "inherit" : fs.openSync(logFile, "w")
  const child = spawn(process.execPath, [medusaCli(), ...args], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", out, out],
  })
  if (typeof out === "number") fs.closeSync(out)
  state.children.add(child)
  const exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      state.children.delete(child)
      resolve({ code, signal })
    })
    child.on("error", (error) => {
      state.children.delete(child)
      resolve({ code: null, signal: null, error })
    })
  })
  child.exited = exited
  child.logFile = logFile
  if (!wait) return child
  return exited.then(({ code, signal, error }) => {
    if (code === 0) return
    if (state.stopping) throw new Stopped()
    throw new StepError(
      `medusa ${args[0]} failed (${error ? error.message : signal ? `signal ${signal}` : `exit ${code}`})`,
      verbose ? null : logFile
    )
  })
}

class Stopped extends Error {}

class StepError extends Error {
  constructor(message, logFile) {
    super(message)
    this.logFile = logFile
  }
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n")
  } catch {
    return ""
  }
}

/** GET `url`; resolves with the status code and the first bytes of the body, or null. */
function get(url, timeoutMs = 5_000) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (chunk) => {
        if (body.length < 4096) body += chunk
      })
      res.on("end", () => resolve({ status: res.statusCode, body }))
    })
    req.on("timeout", () => req.destroy())
    req.on("error", () => resolve(null))
  })
}

async function waitFor(description, check, { timeoutMs, child }) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (state.stopping) throw new Stopped()
    if (await check()) return
    if (child && child.exitCode !== null) {
      throw new StepError(`Medusa exited while waiting for ${description}`, child.logFile)
    }
    if (Date.now() > deadline) {
      throw new StepError(`no ${description} after ${timeoutMs / 1000} s`, child && child.logFile)
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

/** DATABASE_URL given: create its database when it does not exist. */
async function ensureDatabase(url) {
  const { Client } = require("pg")
  const target = new URL(url)
  const name = decodeURIComponent(target.pathname.replace(/^\//, ""))
  if (!name) throw new Error("DATABASE_URL names no database")
  const client = new Client({ connectionString: url })
  try {
    await client.connect()
    await client.end()
    return false
  } catch (error) {
    await client.end().catch(() => {})
    if (error.code !== "3D000") throw error // 3D000: database does not exist
  }
  const admin = new URL(url)
  admin.pathname = "/postgres"
  const maintenance = new Client({ connectionString: admin.toString() })
  await maintenance.connect()
  try {
    await maintenance.query(`CREATE DATABASE ${maintenance.escapeIdentifier(name)}`)
  } finally {
    await maintenance.end()
  }
  return true
}

function redact(url) {
  const u = new URL(url)
  if (u.password) u.password = "***"
  return u.toString()
}

async function run() {
  const started = Date.now()
  const port = Number(process.env.PORT) || 9000
  const programFile = path.resolve(process.env.MEDUSA_REWARDS_PROGRAM_FILE || DEFAULT_PROGRAM_FILE)
  JSON.parse(fs.readFileSync(programFile, "utf8")) // fail early on a bad file

  if (!(await portIsFree(port))) {
    throw new StepError(`port ${port} is in use (another Medusa?); set PORT to use another one`)
  }
  await fsp.mkdir(LOG_DIR, { recursive: true })
  state.workDir = await fsp.mkdtemp(path.join(os.tmpdir(), "medusa-rewards-demo-"))

  // 1. PostgreSQL ------------------------------------------------------------------------
  let databaseUrl
  if (process.env.DATABASE_URL) {
    databaseUrl = process.env.DATABASE_URL
    const created = await ensureDatabase(databaseUrl)
    say(`PostgreSQL from DATABASE_URL: ${redact(databaseUrl)}${created ? " (database created)" : ""}`)
  } else {
    const embeddedPostgres = require("./lib/embedded-postgres")
    const t = Date.now()
    state.server = await embeddedPostgres.start({
      log: (message) => say(message),
      tmpPrefix: "medusa-rewards-demo-pg-",
      // We stop PostgreSQL ourselves, after Medusa.
      exitHooks: false,
    })
    if (state.stopping) throw new Stopped()
    await state.server.createDatabase(DB_NAME)
    databaseUrl = state.server.url(DB_NAME)
    say(`database ${DB_NAME} on localhost:${state.server.port} (${seconds(t)})`)
  }

  const cors = [...new Set([...CORS, `http://localhost:${port}`])].join(",")
  const outFile = path.join(state.workDir, "seed.json")
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    MEDUSA_REWARDS_ADMIN: "true",
    MEDUSA_REWARDS_PROGRAM_FILE: programFile,
    MEDUSA_REWARDS_DEMO_OUT: outFile,
    MEDUSA_DISABLE_TELEMETRY: "true",
    STORE_CORS: process.env.STORE_CORS || cors,
    ADMIN_CORS: process.env.ADMIN_CORS || cors,
    AUTH_CORS: process.env.AUTH_CORS || cors,
  }
  // medusa-config.ts reads DATABASE_URL first; DB_* would only confuse a reader.
  for (const key of ["DB_HOST", "DB_PORT", "DB_USERNAME", "DB_PASSWORD", "DB_TEMP_NAME"]) {
    delete env[key]
  }

  // 2. Migrations ------------------------------------------------------------------------
  let t = Date.now()
  say("migrating the database (medusa db:migrate, ~20 s)")
  await medusa("migrate", ["db:migrate"], env)
  say(`migrated (${seconds(t)})`)

  // 3. Seed -------------------------------------------------------------------------------
  t = Date.now()
  say("seeding: admin user, store, catalog, customers and four days of orders (~1 min)")
  await medusa("seed", ["exec", "./scripts/demo/seed.ts"], env)
  const seed = JSON.parse(await fsp.readFile(outFile, "utf8"))
  say(`${seed.reused ? "database seeded before: reused" : "seeded"} (${seconds(t)})`)

  // 4. Serve ------------------------------------------------------------------------------
  t = Date.now()
  say(`starting Medusa on port ${port}`)
  const server = medusa(
    "server",
    ["start", "--port", String(port)],
    // What `medusa develop` gives its server process (minus the file watcher).
    { ...env, NODE_ENV: "development", MEDUSA_REWARDS_DEMO_OUT: "" },
    { wait: false }
  )
  state.medusa = server
  const base = `http://localhost:${port}`
  await waitFor("answer on /health", async () => (await get(`${base}/health`))?.status === 200, {
    timeoutMs: 180_000,
    child: server,
  })
  await waitFor(
    "admin page on /app",
    async () => {
      const res = await get(`${base}/app`, 30_000)
      return res !== null && res.status === 200 && /<html/i.test(res.body)
    },
    { timeoutMs: 120_000, child: server }
  )
  say(`Medusa is up (${seconds(t)}; ${seconds(started)} in all)`)

  printBanner(base, seed)

  server.exited.then(({ code, signal }) => {
    if (state.stopping) return
    say(`Medusa exited (${signal ? `signal ${signal}` : `exit ${code}`}); see ${server.logFile}`)
    shutdown(1)
  })
}

function printBanner(base, seed) {
  const cur = seed.currency.toUpperCase()
  const lines = [
    "",
    "medusa-rewards demo is running",
    `  admin:    ${base}/app   (${seed.admin.email} / ${seed.admin.password})`,
    `  store:    ${base}/store  publishable key ${seed.publishableKey ?? "(none found)"}`,
    `  customers log in as e.g. ${seed.sampleCustomer} / ${seed.customerPassword}`,
  ]
  const r = seed.rewards
  const first = seed.days[0]
  const closed = r.lastClosedDay
    ? first && first <= r.lastClosedDay
      ? `${first}..${r.lastClosedDay}`
      : `up to ${r.lastClosedDay}`
    : "none"
  lines.push(
    `  members ${r.members} · orders ${r.orders} · days closed ${closed}` +
      (r.openDay ? ` · open day ${r.openDay}` : ""),
    `  growth pool ${r.growth.pool} ${cur} · price ${r.growth.price} · supply ${r.growth.supply}`,
    `  cycle pool ${r.cycle.pool} · paid ${r.cycle.paid} ${cur} · release locked ${r.release.locked} · released ${r.release.released} · credit ${r.credit}`
  )
  if (!verbose) lines.push(`  Medusa's log: ${path.relative(process.cwd(), path.join(LOG_DIR, "server.log"))}`)
  lines.push("Ctrl-C stops the store and PostgreSQL.", "")
  process.stdout.write(lines.join("\n") + "\n")
}

/** Ends a process group we started: SIGTERM, then SIGKILL after a while. */
async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const group = (signal) => {
    try {
      process.kill(-child.pid, signal)
    } catch {}
  }
  group("SIGTERM")
  let timer
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve("timeout"), STOP_TIMEOUT_MS)
  })
  const result = await Promise.race([child.exited.then(() => "exited"), timedOut])
  clearTimeout(timer)
  if (result === "timeout") {
    say(`process ${child.pid} did not stop in ${STOP_TIMEOUT_MS / 1000} s; killing it`)
    group("SIGKILL")
    await child.exited
  } else {
    // Anything the process left in its group (e.g. esbuild under Vite).
    group("SIGKILL")
  }
}

function shutdown(code) {
  if (state.stopping) return state.stopping
  state.stopping = (async () => {
    try {
      if (state.children.size) say("stopping Medusa")
      await Promise.all([...state.children].map(stopChild))
      if (state.server) {
        say("stopping PostgreSQL")
        await require("./lib/embedded-postgres").stop(state.server, { log: say })
        state.server = null
      }
      if (state.workDir) await fsp.rm(state.workDir, { recursive: true, force: true })
      say("stopped")
    } catch (error) {
      process.stderr.write(`[demo] error while stopping: ${error && error.stack}\n`)
      code = code || 1
    }
    process.exit(code)
  })()
  return state.stopping
}

function work() {
  process.on("message", (message) => {
    if (message && message.type === "stop") shutdown(0)
  })
  // The parent is gone (killed, terminal closed): stop too.
  process.on("disconnect", () => shutdown(0))
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => shutdown(0))

  run().catch((error) => {
    if (error instanceof Stopped || state.stopping) return
    process.stderr.write(`\n[demo] ${error instanceof StepError ? error.message : error.stack || error}\n`)
    if (error.logFile) {
      process.stderr.write(`[demo] last lines of ${error.logFile}:\n${tail(error.logFile)}\n`)
    }
    shutdown(1)
  })
}

if (process.argv.includes(WORKER_FLAG)) {
  work()
} else {
  supervise()
}
