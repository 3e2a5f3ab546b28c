/**
 * RULES.md §1.8 on the live tables: the engine's own audit over what the database holds.
 * Shared by the module service (tests, the admin route) and `medusa-rewards audit`.
 */
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { type AuditResult, type LedgerRow, audit } from "../../engine/audit"
import { parseProgramConfig } from "../../engine/config"
import { Dec } from "../../engine/decimal"
import type { Asset } from "../../engine/ledger"
import { trancheFromRow } from "./postgres-store"

type Row = Record<string, any>

/** An integer amount as numeric text (`12`, or `12.0000` from a column with a scale). */
const whole = (text: string) => BigInt(text.includes(".") ? text.slice(0, text.indexOf(".")) : text)

/**
 * Reads the ledger (every transfer in commit order, the day closes' postings as their transfers:
 * `rewards_ledger`; the balances and tranches as they stand now; the recorded price)
 * and runs the engine's audit: every balance recomputed from the transfers, every asset
 * summing to zero, no negative member balance, the price never falling except by an admin
 * GROWTH adjustment, tranches equal to locked points. Reads the ledger into memory.
 */
export async function auditDatabase(db: Knex): Promise<AuditResult & { accounts: number }> {
  const [program] = (await db.raw(`select growth_price::text as price from rewards_program where deleted_at is null`)).rows as Row[]
  if (!program) return { ok: true, violations: [], transfers: 0, accounts: 0 }
  const [first] = (
    await db.raw(`select config from rewards_config_version where deleted_at is null order by version limit 1`)
  ).rows as Row[]
  const initialPrice = parseProgramConfig(first.config).schemes.growth.initialPrice
  const transfers = (
    await db.raw(
      `select b.id as batch, b.key, t.asset, t.debit, t.credit, t.amount::text as amount, t.reason
         from rewards_ledger t join rewards_transfer_batch b on b.id = t.batch_id
        order by b.id, t.id`
    )
  ).rows as Row[]
  // rewards_balance_now shows members' balances only; a change row of an account that is no
  // member would be invisible there, so it is audited too (its transfers cannot match it)
  const balances = (
    await db.raw(
      `select account, asset, amount::text as amount from rewards_balance_now
       union all
       select j.account, j.asset, j.amount::text from rewards_member_balance j
        where j.amount <> 0
          and not exists (select 1 from rewards_member m where m.customer_id = substr(j.account, 3) and m.deleted_at is null)`
    )
  ).rows as Row[]
  const tranches = (await db.raw(`select * from rewards_tranche_now order by seq`)).rows as Row[]
  const result = audit(
    {
      *transfers(): Iterable<LedgerRow> {
        for (const t of transfers) {
          yield {
            batch: Number(t.batch),
            batchKey: t.key,
            asset: t.asset,
            debit: t.debit,
            credit: t.credit,
            amount: whole(t.amount),
            reason: t.reason,
          }
        }
      },
      *cachedBalances() {
        for (const b of balances) yield { account: b.account, asset: b.asset as Asset, balance: whole(b.amount) }
      },
      *allTranches() {
        for (const t of tranches) yield trancheFromRow(t)
      },
      recordedPrice: () => new Dec(program.price),
    },
    initialPrice
  )
  return { ...result, accounts: new Set(balances.map((b) => b.account)).size }
}
