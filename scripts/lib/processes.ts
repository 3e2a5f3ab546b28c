/**
 * Processes of ours for the load script, the benchmarks and the process-level tests
 * (close-kill.spec.ts, redis.spec.ts): Medusa commands of this repository (`medusa exec`,
 * `medusa start`, `medusa db:migrate`), a throwaway `redis-server`, free ports, health checks,
 * and stopping or killing them.
 *
 *   const p = launchMedusa("worker-1", ["start", "--port", String(port)], { env, logFile })
 *   await waitForHealth(port, p)
 *   signalGroup(p, "SIGKILL")            // the whole process group, at once
 *   await stopProcess(p)                  // SIGTERM to its group, SIGKILL after a grace period
 *   const out = await runMedusa("migrate", ["db:migrate"], { env })  // throws on a non-zero exit
 *   const redis = await startRedis()     // 127.0.0.1, a free port, no persistence, own directory
 *   const server = await buildApp(dir)    // `medusa build` of the repository; `medusa start` runs there
 *   await stopAll()                       // whatever this module started and is still running
 *
 * Every process runs in a process group of its own (`detached`), so a signal reaches what it
 * started too (Medusa forks nothing by default, but `medusa start` may be wrapped).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"

export const REPO_ROOT = path.resolve(__dirname, "../..")

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** The `medusa` CLI of this repository's node_modules (run with the current node). */
export function medusaCli(): string {
  return path.join(path.dirname(require.resolve("@medusajs/cli/package.json", { paths: [REPO_ROOT] })), "cli.js")
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface Launched {
  readonly name: string
  readonly child: ChildProcess
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<Exit>
  /** Where its output goes, when it goes to a file. */
  readonly logFile?: string
  /** Its output so far: the log file, or what it wrote to stdout and stderr (the last 4 MiB). */
  output(): string
  running(): boolean
}

export interface LaunchOptions {
  env?: NodeJS.ProcessEnv
  /** Default: the repository root (medusa-config.ts). */
  cwd?: string
  /** Write stdout and stderr to this file (truncated first); else they are kept in memory. */
  logFile?: string
}

const MEMORY_LIMIT = 4 * 1024 * 1024
const live = new Set<Launched>()

/** Starts `command` in a process group of its own. */
export function launch(name: string, command: string, args: string[], options: LaunchOptions = {}): Launched {
  let child: ChildProcess
  let buffered = ""
  if (options.logFile) {
    const fd = openSync(options.logFile, "w")
    try {
      child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, detached: true, stdio: ["ignore", fd, fd] })
    } finally {
      closeSync(fd)
    }
  } else {
    child = spawn(command, args, { cwd: options.cwd ?? REPO_ROOT, env: options.env ?? process.env, detached: true, stdio: ["ignore", "pipe", "pipe"] })
    const keep = (chunk: Buffer) => {
      buffered += chunk.toString()
      if (buffered.length > MEMORY_LIMIT) buffered = buffered.slice(-MEMORY_LIMIT / 2)
    }
    child.stdout!.on("data", keep)
    child.stderr!.on("data", keep)
  }
  let done = false
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      done = true
      resolve({ code, signal })
    })
    child.once("error", (error) => {
      done = true
      buffered += `\n${name}: ${error.message}\n`
      resolve({ code: null, signal: null })
    })
  })
  const launched: Launched = {
    name,
    child,
    exited,
    logFile: options.logFile,
    output: () => (options.logFile ? readText(options.logFile) : buffered),
    running: () => !done,
  }
  live.add(launched)
  exited.then(() => live.delete(launched))
  return launched
}

/** `medusa <args>` of this repository, with the current node. */
export function launchMedusa(name: string, args: string[], options: LaunchOptions = {}): Launched {
  return launch(name, process.execPath, [medusaCli(), ...args], options)
}

/** Runs `medusa <args>` to the end; returns its output, throws (with its last lines) unless it exits 0. */
export async function runMedusa(name: string, args: string[], options: LaunchOptions = {}): Promise<string> {
  const p = launchMedusa(name, args, options)
  const { code, signal } = await p.exited
  if (code !== 0) {
    throw new Error(`medusa ${args.join(" ")} (${name}) ended with ${signal ? `signal ${signal}` : `exit ${code}`}:\n${tail(p.output())}`)
  }
  return p.output()
}

/** Sends `signal` to the process group; false when it is gone already. */
export function signalGroup(p: Launched, signal: NodeJS.Signals): boolean {
  if (!p.running() || p.child.pid === undefined) return false
  try {
    process.kill(-p.child.pid, signal)
    return true
  } catch {
    return false // exited just now
  }
}

/** SIGTERM to the group; SIGKILL to whatever is left after `graceMs`. */
export async function stopProcess(p: Launched, graceMs = 20_000): Promise<Exit> {
  if (signalGroup(p, "SIGTERM")) {
    const timer = sleep(graceMs).then(() => "late" as const)
    if ((await Promise.race([p.exited, timer])) === "late") signalGroup(p, "SIGKILL")
  }
  const exit = await p.exited
  // anything it started in its group and left behind
  try {
    if (p.child.pid !== undefined) process.kill(-p.child.pid, "SIGKILL")
  } catch {
    // nothing left
  }
  return exit
}

/** Stops every process started here that still runs (cleanup after a failure or a signal). */
export async function stopAll(graceMs = 10_000): Promise<void> {
  await Promise.all([...live].map((p) => stopProcess(p, graceMs)))
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/**
 * Polls `probe` until it returns something other than undefined/false; throws when `timeoutMs`
 * passes, or at once when one of `watch` exits (with its last lines).
 */
export async function waitFor<T>(
  label: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; watch?: Launched[] } = {}
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000)
  for (;;) {
    const dead = options.watch?.find((p) => !p.running())
    if (dead) throw new Error(`${dead.name} exited while waiting for ${label}:\n${tail(dead.output())}`)
    const value = await probe()
    if (value !== undefined && value !== false) return value as T
    if (Date.now() > deadline) throw new Error(`${label}: not within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s`)
    await sleep(options.intervalMs ?? 250)
  }
}

/** Waits for `GET /health` = 200 of a Medusa process listening on `port`. */
export async function waitForHealth(port: number, p: Launched, timeoutMs = 240_000): Promise<void> {
  await waitFor(
    `${p.name} answering /health on port ${port}`,
    async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status === 200,
    { timeoutMs, intervalMs: 250, watch: [p] }
  )
}

/** The last `lines` lines of a text. */
export function tail(text: string, lines = 40): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n")
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8")
  } catch {
    return ""
  }
}

/**
 * A production build of this repository as a Medusa app (`medusa build`, admin off), made in
 * `dir`: the sources and configuration are copied there (the repository's own .medusa/server is
 * the plugin's build and stays untouched) with node_modules linked in. Returns the directory to
 * run `medusa start` from (with NODE_ENV=production, as a deployed store runs).
 */
export async function buildApp(dir: string, options: { env?: NodeJS.ProcessEnv; logFile?: string } = {}): Promise<string> {
  mkdirSync(path.join(dir, "docs"), { recursive: true })
  cpSync(path.join(REPO_ROOT, "src"), path.join(dir, "src"), { recursive: true })
  for (const file of ["package.json", "medusa-config.ts", "docs/medusa-config.production.ts"]) {
    cpSync(path.join(REPO_ROOT, file), path.join(dir, file))
  }
  const modules = path.join(REPO_ROOT, "node_modules")
  symlinkSync(modules, path.join(dir, "node_modules"), "dir")
  // the repository's tsconfig leaves medusa-config.ts out (the plugin package must not ship it);
  // an app's build needs it
  const tsconfig = JSON.parse(readFileSync(path.join(REPO_ROOT, "tsconfig.json"), "utf8"))
  tsconfig.include = ["src/**/*", "medusa-config.ts", "docs/medusa-config.production.ts"]
  tsconfig.exclude = ["**/__tests__/**", "**/*.test.ts", "src/admin", "node_modules", ".medusa"]
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2))
  await runMedusa("build", ["build"], { cwd: dir, logFile: options.logFile, env: { ...(options.env ?? process.env), MEDUSA_REWARDS_ADMIN: "false" } })
  const server = path.join(dir, ".medusa", "server")
  symlinkSync(modules, path.join(server, "node_modules"), "dir")
  return server
}

// ---------------------------------------------------------------------------------------
// redis-server
// ---------------------------------------------------------------------------------------

export interface RedisServer {
  url: string
  port: number
  process: Launched
  /** Runs `redis-cli --raw <args>` against it; returns the reply lines. */
  cli(...args: string[]): string[]
  /** Stops the server and removes its directory. */
  stop(): Promise<void>
}

/** The path of `redis-server` (Debian's package), or null when it is not installed. */
export function redisServerPath(): string | null {
  const which = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" })
  const found = which.stdout?.trim()
  return which.status === 0 && found ? found : null
}

/** Sends one inline command to a Redis on loopback; resolves with its first reply line, or null. */
function redisCommand(port: number, command: string): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1")
    let reply = ""
    const finish = (value: string | null) => {
      socket.destroy()
      resolve(value)
    }
    socket.setTimeout(2_000, () => finish(null))
    socket.on("error", () => finish(null))
    socket.on("connect", () => socket.write(`${command}\r\n`))
    socket.on("data", (d) => {
      reply += d.toString()
      if (reply.includes("\r\n")) finish(reply.split("\r\n")[0])
    })
  })
}

/**
 * A `redis-server` of its own: 127.0.0.1 on a free port, no persistence (`--save ''
 * --appendonly no`), a fresh temporary working directory. Throws when `redis-server` is not
 * installed (`apt-get install -y redis-server`). Stopped by `stop()` or `stopAll()`.
 */
export async function startRedis(options: { logFile?: string } = {}): Promise<RedisServer> {
  const binary = redisServerPath()
  if (!binary) throw new Error("redis-server is not installed: apt-get install -y redis-server (Debian's package)")
  const dir = mkdtempSync(path.join(os.tmpdir(), "medusa-rewards-redis-"))
  // a port found free can be taken before redis binds it: try another one then
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const p = launch(
      "redis-server",
      binary,
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no"],
      { logFile: options.logFile }
    )
    try {
      await waitFor(`redis-server on 127.0.0.1:${port}`, async () => (await redisCommand(port, "PING")) === "+PONG", {
        timeoutMs: 15_000,
        intervalMs: 100,
        watch: [p],
      })
    } catch (e) {
      await stopProcess(p, 2_000)
      if (attempt < 3) continue
      rmSync(dir, { recursive: true, force: true })
      throw e
    }
    const cliBinary = path.join(path.dirname(binary), "redis-cli") // Debian's redis-tools, a dependency of redis-server
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      process: p,
      cli(...args: string[]) {
        const run = spawnSync(cliBinary, ["-h", "127.0.0.1", "-p", String(port), "--raw", ...args], { encoding: "utf8" })
        if (run.status !== 0) throw new Error(`redis-cli ${args.join(" ")}: exit ${run.status} ${run.stderr}`)
        return run.stdout.split("\n").filter((line) => line !== "")
      },
      async stop() {
        await stopProcess(p, 5_000)
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
}
