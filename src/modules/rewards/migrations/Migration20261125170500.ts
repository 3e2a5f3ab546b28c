import { Migration } from "@medusajs/framework/mikro-orm/migrations";

/**
 * Storefront (issue 6), hand-written: no DML model changes, so the snapshot is untouched.
 *
 * - A member's transfer history uses the member-account index of Migration20261126100000
 *   (one index for the storefront and the admin ledger: every index costs each day close).
 * - `rewards_checkout`: what a cart paid with credit and points (atoms of 10^-scale), and what
 *   cancellations and refunds gave back so far (RULES.md §1.2 decision).
 * - `rewards_phone_code`, `rewards_phone_event`: SMS codes of phone accounts (RULES.md §7),
 *   stored as HMACs, and the failures and successes that rate limits and lock-outs count.
 */
export class Migration20261125170500 extends Migration {

  override async up(): Promise<void> {

    this.addSql(`create table if not exists "rewards_checkout" ("id" text not null, "cart_id" text not null, "attempt" integer not null default 1, "customer_id" text not null, "order_id" text null, "currency_code" text not null, "status" text check ("status" in ('spent', 'released')) not null, "credit" numeric not null, "points" numeric not null, "credit_value" numeric not null, "points_value" numeric not null, "returned_credit" numeric not null default 0, "returned_points" numeric not null default 0, "returned_share" numeric not null default 0, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "rewards_checkout_pkey" primary key ("id"));`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_checkout_cart_id_unique" ON "rewards_checkout" ("cart_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_checkout_order_id" ON "rewards_checkout" ("order_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_checkout_customer_id" ON "rewards_checkout" ("customer_id") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "rewards_phone_code" ("id" text not null, "phone" text not null, "purpose" text check ("purpose" in ('register', 'login', 'reset', 'change')) not null, "code_hash" text not null, "ip" text null, "attempts" integer not null default 0, "expires_at" timestamptz not null, "consumed_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "rewards_phone_code_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_phone_code_phone_purpose" ON "rewards_phone_code" ("phone", "purpose", "created_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_phone_code_ip" ON "rewards_phone_code" ("ip", "created_at") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "rewards_phone_event" ("id" bigserial primary key, "phone" text not null, "ip" text null, "kind" text check ("kind" in ('failure', 'success')) not null, "created_at" timestamptz not null default now());`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_phone_event_phone" ON "rewards_phone_event" ("phone", "kind", "created_at");`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_phone_event_ip" ON "rewards_phone_event" ("ip", "kind", "created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "rewards_phone_event" cascade;`);
    this.addSql(`drop table if exists "rewards_phone_code" cascade;`);
    this.addSql(`drop table if exists "rewards_checkout" cascade;`);
  }

}
