import { Migration } from "@medusajs/framework/mikro-orm/migrations";

export class Migration20261203064454 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table if exists "rewards_member" drop column if exists "team_performance", drop column if exists "star_level", drop column if exists "raw_team_performance";`);

    this.addSql(`alter table if exists "rewards_tranche" drop column if exists "released_on", drop column if exists "remaining_before_release", drop column if exists "raw_remaining_before_release";`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table if exists "rewards_member" add column if not exists "team_performance" numeric not null, add column if not exists "star_level" integer not null default 0, add column if not exists "raw_team_performance" jsonb not null;`);

    this.addSql(`alter table if exists "rewards_tranche" add column if not exists "released_on" text null, add column if not exists "remaining_before_release" numeric not null, add column if not exists "raw_remaining_before_release" jsonb not null;`);
  }

}
