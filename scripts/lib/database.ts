/**
 * A throwaway PostgreSQL database for the scripts that run a store of their own (`npm run load`;
 * the benchmarks could use it the same way): a fresh database on the server of DATABASE_URL
 * (created here, dropped by `drop()`), else on an embedded server (scripts/lib/embedded-postgres.js)
 * in a temporary directory, stopped and removed by `drop()`.
 *
 *   const db = await temporaryDatabase("medusa_rewards_load", { log: say })
 *   // db.url, db.label ("embedded PostgreSQL (fsync off)" or "DATABASE_URL's server")
 *   await withPg(db.url, (c) => c.query("select 1"))
 *   await db.drop()
 */
import { Client } from "pg"

interface EmbeddedServer {
  port: number
  url(database?: string): string
  createDatabase(name: string): Promise<void>
}
interface EmbeddedPostgres {
  start(options?: { log?: (m: string) => void; tmpPrefix?: string; exitHooks?: boolean }): Promise<EmbeddedServer>
  stop(server: EmbeddedServer | null | undefined, options?: { log?: (m: string) => void }): Promise<void>
}

export interface TemporaryDatabase {
  name: string
  url: string
  /** Where it lives, for reports. */
  label: string
  drop(): Promise<void>
}

/** Runs `fn` with a connection of its own to `url`. */
export async function withPg<T>(url: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** A new database named `<prefix>_<time>`; see the file comment. */
export async function temporaryDatabase(
  prefix: string,
  options: { log?: (message: string) => void; tmpPrefix?: string } = {}
): Promise<TemporaryDatabase> {
  const log = options.log ?? (() => undefined)
  const name = `${prefix}_${Date.now().toString(36)}`
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL)
    const maintenance = new URL(url.toString())
    maintenance.pathname = "/postgres"
    await withPg(maintenance.toString(), (c) => c.query(`create database "${name}"`))
    url.pathname = `/${name}`
    return {
      name,
      url: url.toString(),
      label: "DATABASE_URL's server",
      async drop() {
        await withPg(maintenance.toString(), (c) => c.query(`drop database if exists "${name}" with (force)`))
        log(`database ${name} dropped`)
      },
    }
  }
  const embedded = require("./embedded-postgres") as EmbeddedPostgres
  const server = await embedded.start({ log, tmpPrefix: options.tmpPrefix ?? `${prefix}-pg-`, exitHooks: false })
  try {
    await server.createDatabase(name)
  } catch (e) {
    await embedded.stop(server, { log })
    throw e
  }
  return {
    name,
    url: server.url(name),
    label: "embedded PostgreSQL (fsync off)",
    async drop() {
      await embedded.stop(server, { log })
      log("embedded PostgreSQL stopped, its directory removed")
    },
  }
}
