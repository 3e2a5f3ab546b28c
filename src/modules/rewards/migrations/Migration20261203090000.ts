import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * Award path (issue 3).
 *
 * - The reversal events of an order, by order id: an award looks them up to reverse at once
 *   the share of an order undone before its award was processed (reordered events,
 *   `RewardsModuleService.recordedReversalShare`). Partial: only refund events, a small part
 *   of the inbox, pay for the index.
 */
export class Migration20261203090000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `CREATE INDEX IF NOT EXISTS "IDX_rewards_event_refund_order" ON "rewards_event" ((payload->>'orderId')) ` +
        `WHERE kind = 'refund' AND deleted_at IS NULL;`
    )
  }

  override async down(): Promise<void> {
    this.addSql(`DROP INDEX IF EXISTS "IDX_rewards_event_refund_order";`)
  }
}
