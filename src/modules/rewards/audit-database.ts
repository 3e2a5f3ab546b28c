/**
 * RULES.md §1.8 on the live tables: the engine's own audit over what the database holds.
 * Shared by the module service (tests, the admin route) and `medusa-rewards audit`.
 */
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { type AuditResult, LedgerAudit, type LedgerRow } from "../../engine/audit"
import { parseProgramConfig } from "../../engine/config"
import { Dec } from "../../engine/decimal"
import type { Asset } from "../../engine/ledger"
import { type BinaryRow, clientOf, copyOut } from "./copy"
import { trancheFromRow } from "./postgres-store"

type Row = Record<string, any>

/** An integer amount as numeric text (`12`, or `12.0000` from a column with a scale). */
const whole = (text: string) => BigInt(text.includes(".") ? text.slice(0, text.indexOf(".")) : text)

/**
 * Runs the engine's audit on what the database holds: every balance recomputed from the
 * transfers, every asset summing to zero, no negative member balance, the price never falling
 * except by an admin GROWTH adjustment, tranches equal to locked points.
 *
 * Every read sees one snapshot (a read-only, repeatable-read transaction), so the audit runs
 * beside a live store. The transfers (`rewards_ledger`: operations' transfers and the day
 * closes' postings, in commit order) are streamed by one binary COPY into the audit as they
 * arrive: memory grows with the accounts, never with the length of the ledger.
 */
export async function auditDatabase(db: Knex): Promise<AuditResult & { accounts: number }> {
  return db.transaction(
    async (trx) => {
      const [program] = (await trx.raw(`select growth_price::text as price from rewards_program where deleted_at is null`)).rows as Row[]
      if (!program) return { ok: true, violations: [], transfers: 0, accounts: 0 }
      const [first] = (
        await trx.raw(`select config from rewards_config_version where deleted_at is null order by version limit 1`)
      ).rows as Row[]
      const check = new LedgerAudit(parseProgramConfig(first.config).schemes.growth.initialPrice)
      const { client, release } = await clientOf(trx)
      try {
        // text columns only: in binary COPY a text value is its UTF-8 bytes
        await copyOut(
          client,
          `copy (select b.id::text, b.key, t.asset, t.debit, t.credit, t.amount::text, t.reason
                   from rewards_ledger t join rewards_transfer_batch b on b.id = t.batch_id
                  order by b.id, t.id) to stdout (format binary)`,
          (r) => {
            check.transfer({
              batch: Number(textAt(r, 0)),
              batchKey: textAt(r, 1),
              asset: textAt(r, 2) as Asset,
              debit: textAt(r, 3),
              credit: textAt(r, 4),
              amount: whole(textAt(r, 5)),
              reason: textAt(r, 6) as LedgerRow["reason"],
            })
          }
        )
      } finally {
        release()
      }
      // rewards_balance_now shows members' balances only; a change row of an account that is no
      // member would be invisible there, so it is audited too (its transfers cannot match it)
      const balances = (
        await trx.raw(
          `select account, asset, amount::text as amount from rewards_balance_now
           union all
           select j.account, j.asset, j.amount::text from rewards_member_balance j
            where j.amount <> 0
              and not exists (select 1 from rewards_member m where m.customer_id = substr(j.account, 3) and m.deleted_at is null)`
        )
      ).rows as Row[]
      const tranches = (await trx.raw(`select * from rewards_tranche_now order by seq`)).rows as Row[]
      const result = check.finish({
        *cachedBalances() {
          for (const b of balances) yield { account: b.account, asset: b.asset as Asset, balance: whole(b.amount) }
        },
        *allTranches() {
          for (const t of tranches) yield trancheFromRow(t)
        },
        recordedPrice: () => new Dec(program.price),
      })
      return { ...result, accounts: new Set(balances.map((b) => b.account)).size }
    },
    { isolationLevel: "repeatable read", readOnly: true }
  )
}

/** Field k of a binary COPY row of text columns. */
function textAt(r: BinaryRow, k: number): string {
  return Buffer.from(r.view.buffer, r.view.byteOffset + r.start[k], r.length[k]).toString("utf8")
}
