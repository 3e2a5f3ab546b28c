/**
 * The program a suite's store starts with, and raw reads of its database.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"

/**
 * Writes `program` to a file of its own and names it in MEDUSA_REWARDS_PROGRAM_FILE, the
 * plugin's initial program: call it at the top of a suite file, before the runner boots the app.
 */
export function useProgram(suite: string, program: unknown): void {
  const file = path.join(mkdtempSync(path.join(tmpdir(), `rewards-${suite}-`)), "program.json")
  writeFileSync(file, JSON.stringify(program))
  process.env.MEDUSA_REWARDS_PROGRAM_FILE = file
}

/** The rows of a SQL statement on the app's database. */
export async function rowsOf(container: MedusaContainer, sql: string, bindings: unknown[] = []): Promise<Record<string, any>[]> {
  const pg = container.resolve(ContainerRegistrationKeys.PG_CONNECTION) as any
  return (await pg.raw(sql, bindings)).rows
}
