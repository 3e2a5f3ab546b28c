import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261125162302 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "rewards_transfer_batch" drop constraint if exists "rewards_transfer_batch_key_unique";`);
    this.addSql(`alter table if exists "rewards_tranche" drop constraint if exists "rewards_tranche_seq_unique";`);
    this.addSql(`alter table if exists "rewards_tranche" drop constraint if exists "rewards_tranche_order_id_unique";`);
    this.addSql(`alter table if exists "rewards_order" drop constraint if exists "rewards_order_order_id_unique";`);
    this.addSql(`alter table if exists "rewards_member" drop constraint if exists "rewards_member_referral_code_unique";`);
    this.addSql(`alter table if exists "rewards_member" drop constraint if exists "rewards_member_seq_unique";`);
    this.addSql(`alter table if exists "rewards_member" drop constraint if exists "rewards_member_customer_id_unique";`);
    this.addSql(`alter table if exists "rewards_event" drop constraint if exists "rewards_event_key_unique";`);
    this.addSql(`alter table if exists "rewards_day_sales" drop constraint if exists "rewards_day_sales_day_unique";`);
    this.addSql(`alter table if exists "rewards_day_run" drop constraint if exists "rewards_day_run_day_unique";`);
    this.addSql(`alter table if exists "rewards_config_version" drop constraint if exists "rewards_config_version_version_unique";`);
    this.addSql(`alter table if exists "rewards_balance" drop constraint if exists "rewards_balance_account_asset_unique";`);
    this.addSql(`create table if not exists "rewards_balance" ("id" text not null, "account" text not null, "asset" text not null, "amount" numeric not null, "raw_amount" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "rewards_balance_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_balance_deleted_at" ON "rewards_balance" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_balance_account_asset_unique" ON "rewards_balance" ("account", "asset") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "rewards_config_version" ("id" text not null, "version" integer not null, "effective_from" text null, "config" jsonb not null, "created_by" text null, "note" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "rewards_config_version_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_config_version_deleted_at" ON "rewards_config_version" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_config_version_version_unique" ON "rewards_config_version" ("version") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "rewards_day_run" ("id" text not null, "day" text not null, "step" text check ("step" in ('mature', 'exit', 'cycle', 'release', 'report', 'done')) not null, "config_version" integer not null, "exit_due" jsonb null, "cycle" jsonb null, "report" jsonb null, "started_at" timestamptz null, "finished_at" timestamptz null, "error" text null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "rewards_day_run_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_day_run_deleted_at" ON "rewards_day_run" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_day_run_day_unique" ON "rewards_day_run" ("day") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "rewards_day_sales" ("id" text not null, "day" text not null, "sales" numeric not null, "raw_sales" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "rewards_day_sales_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_day_sales_deleted_at" ON "rewards_day_sales" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_day_sales_day_unique" ON "rewards_day_sales" ("day") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "rewards_event" ("id" serial primary key, "key" text not null, "kind" text check ("kind" in ('join', 'order', 'refund')) not null, "day" text not null, "payload" jsonb not null, "status" text check ("status" in ('queued', 'applied', 'rejected', 'skipped')) not null, "reason" text null, "applied_at" timestamptz null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null);`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_event_deleted_at" ON "rewards_event" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_event_key_unique" ON "rewards_event" ("key") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_event_status_day" ON "rewards_event" ("status", "day") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "rewards_member" ("id" text not null, "customer_id" text not null, "seq" integer not null, "referrer_id" text null, "referral_code" text not null, "depth" integer not null, "joined_day" text not null, "net_spend" numeric not null, "purchase_weight" numeric not null, "referral_weight" numeric not null, "admin_weight" numeric not null, "level" integer null, "team_performance" numeric not null, "star_level" integer not null default 0, "has_orders" boolean not null default false, "raw_net_spend" jsonb not null, "raw_purchase_weight" jsonb not null, "raw_referral_weight" jsonb not null, "raw_admin_weight" jsonb not null, "raw_team_performance" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "rewards_member_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_member_deleted_at" ON "rewards_member" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_member_customer_id_unique" ON "rewards_member" ("customer_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_member_seq_unique" ON "rewards_member" ("seq") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_member_referral_code_unique" ON "rewards_member" ("referral_code") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_member_referrer_id" ON "rewards_member" ("referrer_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_member_depth_seq" ON "rewards_member" ("depth", "seq") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "rewards_order" ("id" text not null, "order_id" text not null, "member_id" text not null, "seq" integer not null, "placed_day" text not null, "amount" numeric not null, "refunded_before" numeric not null, "matures_on" text not null, "status" text check ("status" in ('pending', 'matured', 'void')) not null, "matured" numeric not null, "refunded_after" numeric not null, "refund_ids" jsonb not null, "referrer_id" text null, "granted" jsonb null, "worth" jsonb null, "config_version" integer not null, "raw_amount" jsonb not null, "raw_refunded_before" jsonb not null, "raw_matured" jsonb not null, "raw_refunded_after" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "rewards_order_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_order_deleted_at" ON "rewards_order" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_order_order_id_unique" ON "rewards_order" ("order_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_order_member_id" ON "rewards_order" ("member_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_order_matures_on_status" ON "rewards_order" ("matures_on", "status") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "rewards_program" ("id" text not null, "scale" integer not null, "first_day" text null, "last_closed_day" text null, "growth_price" numeric not null, "member_seq" integer not null default 0, "order_seq" integer not null default 0, "op_seq" integer not null default 0, "raw_growth_price" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "rewards_program_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_program_deleted_at" ON "rewards_program" ("deleted_at") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "rewards_tranche" ("id" text not null, "order_id" text not null, "member_id" text not null, "seq" integer not null, "multiple" numeric not null, "remaining" numeric not null, "net_amount" numeric not null, "daily_base" numeric not null, "released_on" text null, "remaining_before_release" numeric not null, "raw_multiple" jsonb not null, "raw_remaining" jsonb not null, "raw_net_amount" jsonb not null, "raw_daily_base" jsonb not null, "raw_remaining_before_release" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "rewards_tranche_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_tranche_deleted_at" ON "rewards_tranche" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_tranche_order_id_unique" ON "rewards_tranche" ("order_id") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_tranche_seq_unique" ON "rewards_tranche" ("seq") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_tranche_member_id_seq" ON "rewards_tranche" ("member_id", "seq") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "rewards_transfer" ("id" serial primary key, "batch_id" integer not null, "day" text not null, "asset" text not null, "debit" text not null, "credit" text not null, "amount" numeric not null, "reason" text not null, "raw_amount" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null);`);
    // a ledger outgrows int4: a million members write ~5 M transfers a day (DML's autoincrement is serial)
    this.addSql(`alter table "rewards_transfer" alter column "id" type bigint;`);
    this.addSql(`alter sequence if exists "rewards_transfer_id_seq" as bigint;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_transfer_deleted_at" ON "rewards_transfer" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_transfer_batch_id" ON "rewards_transfer" ("batch_id") WHERE deleted_at IS NULL;`);

    this.addSql(`create table if not exists "rewards_transfer_batch" ("id" serial primary key, "key" text not null, "day" text not null, "source" text not null, "config_version" integer not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null);`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_transfer_batch_deleted_at" ON "rewards_transfer_batch" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_transfer_batch_key_unique" ON "rewards_transfer_batch" ("key") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_transfer_batch_day" ON "rewards_transfer_batch" ("day") WHERE deleted_at IS NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "rewards_balance" cascade;`);

    this.addSql(`drop table if exists "rewards_config_version" cascade;`);

    this.addSql(`drop table if exists "rewards_day_run" cascade;`);

    this.addSql(`drop table if exists "rewards_day_sales" cascade;`);

    this.addSql(`drop table if exists "rewards_event" cascade;`);

    this.addSql(`drop table if exists "rewards_member" cascade;`);

    this.addSql(`drop table if exists "rewards_order" cascade;`);

    this.addSql(`drop table if exists "rewards_program" cascade;`);

    this.addSql(`drop table if exists "rewards_tranche" cascade;`);

    this.addSql(`drop table if exists "rewards_transfer" cascade;`);

    this.addSql(`drop table if exists "rewards_transfer_batch" cascade;`);
  }

}
