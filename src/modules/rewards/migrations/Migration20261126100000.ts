import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * Admin (issue 5).
 *
 * - `rewards_config_version.acknowledgement`: the merchant's acknowledgement of the legal
 *   notice of RULES.md §10, recorded with the version that turned team rewards on
 *   (`{ "by": <admin user id>, "at": <ISO time>, "noticeVersion": <text version>, "locale": … }`).
 *   Raw SQL, not in the DML model: only the admin routes read and write it.
 * - Indexes of the ledger explorer (keyset pagination on `rewards_transfer.id`, newest first):
 *   by member account (a transfer has at most one member side: the expression picks it) and by
 *   reason. A business day is a contiguous run of batches (strict day order, RULES.md §1.3), so
 *   the day filter uses the existing `rewards_transfer_batch (day)` and `rewards_transfer
 *   (batch_id)` indexes; an order's batches are found by their exact keys
 *   (`order:<id>:award`, `order:<id>:refund:<refund id>`) on the unique key index.
 *   Each index costs every bulk write: on PG 15 (2 cores, fsync off) inserting 1 M transfers
 *   took ≈ 6.5 s without them and ≈ 12 s with both (docs/admin-api.md, "Ledger indexes").
 *   The member expression compares in the "C" collation (byte order: cheaper to maintain).
 */
export class Migration20261126100000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table if exists "rewards_config_version" add column if not exists "acknowledgement" jsonb null;`)
    this.addSql(
      `CREATE INDEX IF NOT EXISTS "IDX_rewards_transfer_member_account_id" ON "rewards_transfer" ` +
        `((case when "debit" like 'm:%' then "debit" else "credit" end) collate "C", "id") ` +
        `WHERE deleted_at IS NULL AND ("debit" like 'm:%' OR "credit" like 'm:%');`
    )
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_transfer_reason_id" ON "rewards_transfer" ("reason", "id") WHERE deleted_at IS NULL;`)
  }

  override async down(): Promise<void> {
    this.addSql(`DROP INDEX IF EXISTS "IDX_rewards_transfer_reason_id";`)
    this.addSql(`DROP INDEX IF EXISTS "IDX_rewards_transfer_member_account_id";`)
    this.addSql(`alter table if exists "rewards_config_version" drop column if exists "acknowledgement";`)
  }
}
