/**
 * RULES.md §1.8 on the live tables: the engine's own audit over what the database holds.
 * Shared by the module service (tests, the admin route) and `medusa-rewards audit`.
 */
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { type AuditResult, LedgerAudit, type LedgerRow } from "../../engine/audit"
import { parseProgramConfig } from "../../engine/config"
import { Dec } from "../../engine/decimal"
import type { Asset } from "../../engine/ledger"
import { clientOf, copyOut, textAt } from "./copy"
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
 * closes' postings, in commit order), then the balances, then the tranches are streamed by
 * binary COPY into the audit as they arrive: memory grows with the accounts (a running sum per
 * account and asset), never with the rows read.
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
        // text columns only (textAt)
        await copyOut(
          client,
          `copy (select b.id::text, b.key, t.asset, t.debit, t.credit, t.amount::text, t.reason
                   from rewards_ledger t join rewards_transfer_batch b on b.id = t.batch_id
                  order by b.id, t.id) to stdout (format binary)`,
          (r) =>
            check.transfer({
              batch: Number(textAt(r, 0)),
              batchKey: textAt(r, 1),
              asset: textAt(r, 2) as Asset,
              debit: textAt(r, 3),
              credit: textAt(r, 4),
              amount: whole(textAt(r, 5)),
              reason: textAt(r, 6) as LedgerRow["reason"],
            })
        )
        // rewards_balance_now shows members' balances only; a change row of an account that is no
        // member would be invisible there, so it is audited too (its transfers cannot match it)
        let accounts = 0
        let lastAccount = ""
        await copyOut(
          client,
          `copy (select account, asset, amount::text from (
                   select account, asset, amount from rewards_balance_now
                   union all
                   select j.account, j.asset, j.amount from rewards_member_balance j
                    where j.amount <> 0
                      and not exists (select 1 from rewards_member m where m.customer_id = substr(j.account, 3) and m.deleted_at is null)
                 ) b order by account) to stdout (format binary)`,
          (r) => {
            const account = textAt(r, 0)
            if (account !== lastAccount) {
              accounts++
              lastAccount = account
            }
            check.balance(account, textAt(r, 1) as Asset, whole(textAt(r, 2)))
          }
        )
        await copyOut(
          client,
          `copy (select order_id, member_id, seq::text, multiple::text, remaining::text, net_amount::text, daily_base::text
                   from rewards_tranche_now) to stdout (format binary)`,
          (r) =>
            check.tranche(
              trancheFromRow({
                order_id: textAt(r, 0),
                member_id: textAt(r, 1),
                seq: Number(textAt(r, 2)),
                multiple: textAt(r, 3),
                remaining: textAt(r, 4),
                net_amount: textAt(r, 5),
                daily_base: textAt(r, 6),
              })
            )
        )
        return { ...check.finish(new Dec(program.price)), accounts }
      } finally {
        release()
      }
    },
    { isolationLevel: "repeatable read", readOnly: true }
  )
}
