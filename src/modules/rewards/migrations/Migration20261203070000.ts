import { Migration } from "@medusajs/framework/mikro-orm/migrations"

/**
 * The day close at a million members (issue 4), hand-written (no DML model: only the store and
 * the views below read and write these tables).
 *
 * A day close no longer updates member rows in place. Its member pass (cycle payouts and the
 * release, RULES.md §3.2, §4.2–4.6) writes one row per member and day into `rewards_member_day`,
 * a table partitioned by the ledger batch id (one partition per close, its primary key built
 * once, after the rows are in):
 *
 * - the member's postings of the day: `p0`…`p8` are the amounts of the engine's DAY_SLOTS, each
 *   one transfer of `rewards_posting_slot` (asset, debit, credit, reason; `member` = the member's
 *   account) in ledger batch `batch_id`, transfer ids `id0 + slot`; null: no transfer.
 *   Append-only, never updated;
 * - the member's state after the close (its snapshot), as the close reads it back: referrer,
 *   depth and star level as columns; the amounts in `state`, big-endian int8s: the ten member
 *   balances (MEMBER_ASSETS order), net spend and team performance (units of the snapshot's amount
 *   scale), then per tranche (oldest first) its order seq (int4), locked points and daily base.
 *   `rewards_state_int8` and `rewards_state_tranche` read it in SQL. A row whose amounts do not
 *   all fit int8 (possible at large scales) has `state` and `p0`…`p8` null and keeps them in
 *   `wide` (numeric): p0…p8, the balances, net, team, then seq, locked, base per tranche.
 *
 * A close stages its rows in a table of its own and attaches it as a partition when it publishes
 * the pass (rewards_snapshot: the partition of each published close, its batch and transfer id
 * ranges; rewards_program.snapshot_gen: the current one). Each partition has a primary key on
 * `seq` and a BRIN index on `id0` (its rows lie in id order), both built once, at the publish. What operations change between two closes is kept apart:
 *
 * - member balances: `rewards_member_balance`, the change since the current snapshot (emptied
 *   when a close publishes); `rewards_balance` holds the system accounts;
 * - members and tranches: rows written by an operation carry `gen`, the snapshot generation they
 *   were written in: a row with `gen` ≥ the current generation is newer than the snapshot.
 *
 * Readers use the views: `rewards_ledger` (every transfer: operations' rows and the postings as
 * transfers), `rewards_member_state` (the current snapshot's partition: a close's publish points the
 * view at its own, so reading what members hold now never plans over every day's partition),
 * `rewards_member_now` (a member with its current balances and team figures),
 * `rewards_balance_now` (account, asset, amount of every non-zero balance), `rewards_tranche_now`.
 *
 * Existing data: member balances move to `rewards_member_balance` (with no snapshot yet they are
 * the change since the start); team figures come back with the next close.
 */
export class Migration20261203070000 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table if exists "rewards_program" add column if not exists "snapshot_gen" integer not null default 0;`)
    this.addSql(`alter table if exists "rewards_member" add column if not exists "gen" integer not null default 0;`)
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_member_gen" ON "rewards_member" ("gen") WHERE deleted_at IS NULL;`)
    this.addSql(`alter table if exists "rewards_tranche" add column if not exists "gen" integer not null default 0;`)
    this.addSql(`CREATE INDEX IF NOT EXISTS "IDX_rewards_tranche_gen" ON "rewards_tranche" ("gen") WHERE deleted_at IS NULL;`)

    this.addSql(
      `create table if not exists "rewards_member_balance" ("account" text not null, "asset" text not null, "amount" numeric not null, ` +
        `constraint "rewards_member_balance_pkey" primary key ("account", "asset"));`
    )
    this.addSql(
      `insert into "rewards_member_balance" ("account", "asset", "amount")
       select "account", "asset", "amount" from "rewards_balance"
        where "account" like 'm:%' and "deleted_at" is null and "amount" <> 0
       on conflict do nothing;`
    )
    this.addSql(`delete from "rewards_balance" where "account" like 'm:%';`)

    this.addSql(
      `create table if not exists "rewards_posting_slot" ("slot" smallint not null, "asset" text not null, "debit" text not null, ` +
        `"credit" text not null, "reason" text not null, constraint "rewards_posting_slot_pkey" primary key ("slot"));`
    )
    this.addSql(
      `create table if not exists "rewards_snapshot" ("gen" integer not null, "day" text not null, "batch_from" integer not null, ` +
        `"batch_to" integer not null, "first_id" bigint not null, "last_id" bigint not null, "amount_scale" integer not null, "members" integer not null, ` +
        `"published_at" timestamptz not null default now(), constraint "rewards_snapshot_pkey" primary key ("gen"));`
    )
    this.addSql(
      `create table if not exists "rewards_member_day" (
        "seq" integer not null, "batch_id" integer not null, "id0" bigint not null,
        "p0" bigint, "p1" bigint, "p2" bigint, "p3" bigint, "p4" bigint, "p5" bigint, "p6" bigint, "p7" bigint, "p8" bigint,
        "referrer_seq" integer, "depth" integer not null, "star" smallint not null,
        "state" bytea, "wide" numeric[]
      ) partition by range ("batch_id");`
    )
    // the snapshot's state, read in SQL: int8 number k (big-endian) of `state`, its tranche of order
    // seq `tranche` (remaining points), or the same from `wide` when the row's amounts did not fit
    this.addSql(
      `create or replace function "rewards_state_int8"(state bytea, k integer) returns bigint
       language sql immutable parallel safe
       as $$ select ('x' || encode(substring(state from 8 * k + 1 for 8), 'hex'))::bit(64)::bigint $$;`
    )
    this.addSql(
      `create or replace function "rewards_state_tranche"(state bytea, wide numeric[], tranche integer) returns numeric
       language plpgsql immutable parallel safe
       as $$
       declare at integer;
       begin
         if state is not null then
           at := 96;
           while at < length(state) loop
             if ('x' || encode(substring(state from at + 1 for 4), 'hex'))::bit(32)::integer = tranche then
               return ('x' || encode(substring(state from at + 5 for 8), 'hex'))::bit(64)::bigint;
             end if;
             at := at + 20;
           end loop;
           return null;
         end if;
         at := 22;
         while at <= coalesce(array_length(wide, 1), 0) loop
           if wide[at] = tranche then return wide[at + 1]; end if;
           at := at + 3;
         end loop;
         return null;
       end $$;`
    )

    // the current snapshot's partition under a fixed name (a close's publish points it at its own):
    // what a member holds now is read there, not through every day's partition
    this.addSql(`create or replace view "rewards_member_state" as select * from "rewards_member_day" where false;`)

    // every transfer: the operations' rows, then each posting slot with an amount as a transfer
    this.addSql(
      `create or replace view "rewards_ledger" as
       select t.id, t.batch_id, t.day, t.asset, t.debit, t.credit, t.amount, t.reason, t.created_at
         from rewards_transfer t
        where t.deleted_at is null
       union all
       select d.id0 + v.slot, d.batch_id, b.day, s.asset,
              case when s.debit = 'member' then 'm:' || m.customer_id else s.debit end,
              case when s.credit = 'member' then 'm:' || m.customer_id else s.credit end,
              v.amount, s.reason, b.created_at
         from rewards_member_day d
         join rewards_transfer_batch b on b.id = d.batch_id
         join rewards_member m on m.seq = d.seq and m.deleted_at is null
         cross join lateral (values
           (0, coalesce(d.p0::numeric, d.wide[1])), (1, coalesce(d.p1::numeric, d.wide[2])), (2, coalesce(d.p2::numeric, d.wide[3])),
           (3, coalesce(d.p3::numeric, d.wide[4])), (4, coalesce(d.p4::numeric, d.wide[5])), (5, coalesce(d.p5::numeric, d.wide[6])),
           (6, coalesce(d.p6::numeric, d.wide[7])), (7, coalesce(d.p7::numeric, d.wide[8])), (8, coalesce(d.p8::numeric, d.wide[9]))
         ) v(slot, amount)
         join rewards_posting_slot s on s.slot = v.slot
        where v.amount <> 0;`
    )

    // a member now: its row, its current snapshot and what operations changed since
    this.addSql(
      `create or replace view "rewards_member_now" as
       select m.id, m.customer_id, m.seq, m.referrer_id, m.referral_code, m.depth, m.joined_day,
              m.net_spend, m.purchase_weight, m.referral_weight, m.admin_weight, m.level, m.has_orders,
              m.created_at, m.updated_at,
              coalesce(coalesce(rewards_state_int8(d.state, 11)::numeric, d.wide[21]) / power(10::numeric, d.scale), 0) as team_performance,
              coalesce(d.star, 0)::integer as star_level,
              coalesce(coalesce(rewards_state_int8(d.state, 0)::numeric, d.wide[10]), 0) + coalesce(j.growth, 0) as growth,
              coalesce(coalesce(rewards_state_int8(d.state, 1)::numeric, d.wide[11]), 0) + coalesce(j.credit, 0) as credit,
              coalesce(coalesce(rewards_state_int8(d.state, 2)::numeric, d.wide[12]), 0) + coalesce(j.exit_cap, 0) as exit_cap,
              coalesce(coalesce(rewards_state_int8(d.state, 3)::numeric, d.wide[13]), 0) + coalesce(j.quota, 0) as quota,
              coalesce(coalesce(rewards_state_int8(d.state, 4)::numeric, d.wide[14]), 0) + coalesce(j.weight, 0) as weight,
              coalesce(coalesce(rewards_state_int8(d.state, 5)::numeric, d.wide[15]), 0) + coalesce(j.points_locked, 0) as points_locked,
              coalesce(coalesce(rewards_state_int8(d.state, 6)::numeric, d.wide[16]), 0) + coalesce(j.points, 0) as points,
              coalesce(coalesce(rewards_state_int8(d.state, 7)::numeric, d.wide[17]), 0) + coalesce(j.debt_growth, 0) as debt_growth,
              coalesce(coalesce(rewards_state_int8(d.state, 8)::numeric, d.wide[18]), 0) + coalesce(j.debt_credit, 0) as debt_credit,
              coalesce(coalesce(rewards_state_int8(d.state, 9)::numeric, d.wide[19]), 0) + coalesce(j.debt_points, 0) as debt_points
         from rewards_member m
         left join (
           select x.*, (select sn.amount_scale from rewards_snapshot sn
                         where sn.gen = (select p.snapshot_gen from rewards_program p where p.deleted_at is null)) as scale
             from rewards_member_state x
         ) d on d.seq = m.seq
         left join lateral (
           select sum(amount) filter (where asset = 'GROWTH') as growth, sum(amount) filter (where asset = 'CREDIT') as credit,
                  sum(amount) filter (where asset = 'EXIT_CAP') as exit_cap, sum(amount) filter (where asset = 'QUOTA') as quota,
                  sum(amount) filter (where asset = 'WEIGHT') as weight, sum(amount) filter (where asset = 'POINTS_LOCKED') as points_locked,
                  sum(amount) filter (where asset = 'POINTS') as points, sum(amount) filter (where asset = 'DEBT_GROWTH') as debt_growth,
                  sum(amount) filter (where asset = 'DEBT_CREDIT') as debt_credit, sum(amount) filter (where asset = 'DEBT_POINTS') as debt_points
             from rewards_member_balance mb where mb.account = 'm:' || m.customer_id
         ) j on true
        where m.deleted_at is null;`
    )

    // every non-zero balance as (account, asset, amount): the system accounts, then the members'
    this.addSql(
      `create or replace view "rewards_balance_now" as
       select b.account, b.asset, b.amount from rewards_balance b where b.deleted_at is null and b.amount <> 0
       union all
       select 'm:' || n.customer_id, a.asset, a.amount
         from rewards_member_now n
         cross join lateral (values ('GROWTH', n.growth), ('CREDIT', n.credit), ('EXIT_CAP', n.exit_cap), ('QUOTA', n.quota),
           ('WEIGHT', n.weight), ('POINTS_LOCKED', n.points_locked), ('POINTS', n.points), ('DEBT_GROWTH', n.debt_growth),
           ('DEBT_CREDIT', n.debt_credit), ('DEBT_POINTS', n.debt_points)) a(asset, amount)
        where a.amount <> 0;`
    )

    // a tranche now: what the last operation wrote, unless a close released from it since
    this.addSql(
      `create or replace view "rewards_tranche_now" as
       select t.id, t.order_id, t.member_id, t.seq, t.multiple, t.net_amount, t.daily_base,
              case when t.gen >= (select p.snapshot_gen from rewards_program p where p.deleted_at is null)
                   then t.remaining
                   else coalesce(rewards_state_tranche(d.state, d.wide, t.seq), t.remaining)
              end as remaining,
              t.created_at, t.updated_at
         from rewards_tranche t
         join rewards_member m on m.customer_id = t.member_id and m.deleted_at is null
         left join rewards_member_state d on d.seq = m.seq
        where t.deleted_at is null;`
    )
  }

  override async down(): Promise<void> {
    this.addSql(`drop view if exists "rewards_tranche_now";`)
    this.addSql(`drop view if exists "rewards_balance_now";`)
    this.addSql(`drop view if exists "rewards_member_now";`)
    this.addSql(`drop view if exists "rewards_ledger";`)
    this.addSql(`drop view if exists "rewards_member_state";`)
    this.addSql(`drop function if exists "rewards_state_tranche"(bytea, numeric[], integer);`)
    this.addSql(`drop function if exists "rewards_state_int8"(bytea, integer);`)
    this.addSql(`drop table if exists "rewards_member_day" cascade;`)
    this.addSql(`drop table if exists "rewards_snapshot";`)
    this.addSql(`drop table if exists "rewards_posting_slot";`)
    this.addSql(`drop table if exists "rewards_member_balance";`)
    this.addSql(`alter table if exists "rewards_tranche" drop column if exists "gen";`)
    this.addSql(`alter table if exists "rewards_member" drop column if exists "gen";`)
    this.addSql(`alter table if exists "rewards_program" drop column if exists "snapshot_gen";`)
  }
}
