import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261203170406 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "rewards_cart_figures" drop constraint if exists "rewards_cart_figures_cart_id_unique";`);
    this.addSql(`create table if not exists "rewards_cart_figures" ("id" text not null, "cart_id" text not null, "customer_id" text null, "figures" jsonb not null, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null default now(), "deleted_at" timestamptz null, constraint "rewards_cart_figures_pkey" primary key ("id"));`);
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_cart_figures_deleted_at" ON "rewards_cart_figures" ("deleted_at") WHERE deleted_at IS NULL;`);
    this.addSql(`CREATE UNIQUE INDEX IF NOT EXISTS "IDX_rewards_cart_figures_cart_id_unique" ON "rewards_cart_figures" ("cart_id") WHERE deleted_at IS NULL;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "rewards_cart_figures" cascade;`);
  }

}
