/**
 * The daily cycle in the store (RULES.md §1.3, §6): the scheduled job closes every finished
 * day in order and only once, also when several ticks run at the same time; a failed close is
 * reported with its error in the admin API and the next tick finishes it without paying
 * anything twice; the admin API lists day runs and closes pending days on demand.
 */
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import closeBusinessDaysJob from "../../src/jobs/close-business-days"
import { REWARDS_MODULE } from "../../src/modules/rewards"
import type RewardsModuleService from "../../src/modules/rewards/service"
import type { ImportItem } from "../../src/modules/rewards/types"
import { useProgram, auditAfterEachTest, createAdminUser, type AdminUser } from "../helpers"

const PROGRAM = {
  currency: "CNY",
  timezone: "Asia/Shanghai",
  scale: 4,
  schemes: {
    growth: { enabled: true },
    cycle: { enabled: true, weightUnit: "100", tiers: [{ min: 1, max: null, rate: "0.05" }] },
    release: { enabled: true, levels: [{ threshold: "100", multiple: "2" }], teamRewardsEnabled: false },
  },
}
useProgram("days", PROGRAM)

type Row = Record<string, any>

/** 10:00 in Shanghai on `day`. */
const at = (day: string, time = "10:00") => new Date(`${day}T${time}:00+08:00`)

/** A referral chain of `n` members, each buying; the last few buy twice. */
function base(n: number): ImportItem[] {
  const items: ImportItem[] = []
  for (let i = 0; i < n; i++) {
    items.push({ join: { customerId: `cus_${i}`, referrerId: i === 0 ? null : `cus_${i - 1}` } })
    items.push({ order: { orderId: `ord_${i}`, customerId: `cus_${i}`, amount: String(100 + (i % 7) * 50) } })
  }
  return items
}

medusaIntegrationTestRunner({
  inApp: true,
  testSuite: ({ api, getContainer }) => {
    auditAfterEachTest(getContainer)
    let container: MedusaContainer
    let rewards: RewardsModuleService
    let admin: AdminUser

    const rows = async (sql: string, bindings: unknown[] = []): Promise<Row[]> =>
      (await (container.resolve(ContainerRegistrationKeys.PG_CONNECTION) as any).raw(sql, bindings)).rows

    /** Everything the close wrote, in a comparable form. */
    const ledger = async () => ({
      transfers: await rows(
        `select b.key, t.asset, t.debit, t.credit, t.amount::text, t.reason
           from rewards_ledger t join rewards_transfer_batch b on b.id = t.batch_id order by b.key, t.id`
      ),
      balances: await rows(`select account, asset, amount::text from rewards_balance_now order by account, asset`),
      tranches: await rows(`select order_id, remaining::text from rewards_tranche_now order by seq`),
      members: await rows(`select customer_id, team_performance::text, star_level from rewards_member_now order by seq`),
      runs: await rows(`select day, step, report from rewards_day_run order by day`),
    })

    /** Runs `action` (PL/pgSQL) before every insert of a ledger batch whose key is like `key`; returns what removes it. */
    const beforeBatch = async (name: string, key: string, action: string) => {
      await rows(`create function ${name}() returns trigger language plpgsql as $$
                  begin
                    if new.key like '${key}' then ${action}; end if;
                    return new;
                  end $$`)
      await rows(`create trigger ${name} before insert on rewards_transfer_batch for each row execute function ${name}()`)
      return () => rows(`drop trigger ${name} on rewards_transfer_batch`)
    }

    /** Every published day partition: its batch bounds and its check of the pass's batch range (null: none). */
    const batchChecks = async () =>
      (
        await rows(
          `select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound,
                  (select pg_get_constraintdef(k.oid) from pg_constraint k where k.conrelid = c.oid and k.conname = c.relname || '_batches') as check
             from pg_inherits i join pg_class c on c.oid = i.inhrelid
            where i.inhparent = 'rewards_member_day'::regclass order by c.relname`
        )
      ).map((p) => {
        const [, from, to] = /FROM \('?(\d+)'?\) TO \('?(\d+)'?\)/.exec(p.bound)!
        return { name: p.name as string, from: Number(from), to: Number(to), check: p.check as string | null }
      })

    beforeAll(async () => {
      container = getContainer()
      rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
      admin = await createAdminUser(container)
    })

    it("closes each finished day once, in order, however many ticks run at once", async () => {
      rewards.setClock(() => at("2026-05-04"))
      await rewards.importBatch("import:test", base(40))

      // 00:03 local on the 5th: the 4th is not due yet (closeAt 00:05)
      rewards.setClock(() => at("2026-05-05", "00:03"))
      await closeBusinessDaysJob(container)
      expect(await rows(`select day from rewards_day_run`)).toEqual([])

      // three days later, five ticks at once: the 4th, 5th, 6th and 7th close, each once
      rewards.setClock(() => at("2026-05-08", "00:06"))
      await Promise.all(Array.from({ length: 5 }, () => closeBusinessDaysJob(container)))
      const runs = await rows(`select day, step, error from rewards_day_run order by day`)
      expect(runs).toEqual(
        ["2026-05-04", "2026-05-05", "2026-05-06", "2026-05-07"].map((day) => ({ day, step: "done", error: null }))
      )
      const passes = await rows(`select key from rewards_transfer_batch where key like 'day:%:members:%' order by key`)
      expect(passes.map((r) => r.key)).toEqual([
        "day:2026-05-04:members:0",
        "day:2026-05-05:members:0",
        "day:2026-05-06:members:0",
        "day:2026-05-07:members:0",
      ])
      // every published partition is left to autovacuum again (it is kept off only while a close fills it)
      const published = await rows(
        `select c.relname, coalesce(array_to_string(c.reloptions, ','), '') as options
           from pg_inherits i join pg_class c on c.oid = i.inhrelid
          where i.inhparent = 'rewards_member_day'::regclass order by c.relname`
      )
      expect(published.length).toBeGreaterThanOrEqual(4)
      for (const p of published) expect(p.options).not.toContain("autovacuum_enabled")
      // each was created with a check of its pass's reserved batch range, which is the partition's
      // bounds: the publish's attach did not scan the table to prove them
      for (const p of await batchChecks()) expect(p.check).toBe(`CHECK (((batch_id >= ${p.from}) AND (batch_id < ${p.to})))`)
      // and its primary key and BRIN index, built side by side before the publish's transaction
      for (const p of published) {
        const indexes = await rows(`select indexrelid::regclass::text as name from pg_index where indrelid = ?::regclass order by 1`, [p.relname])
        expect(indexes.map((i) => i.name)).toEqual([`${p.relname}_id0_idx`, `${p.relname}_pkey`])
      }
      const before = await ledger()
      await closeBusinessDaysJob(container) // nothing is due: nothing changes
      expect(await ledger()).toEqual(before)
      expect((await rewards.audit()).violations).toEqual([])
    })

    it("a close goes on while more operations than the store's pool has connections wait for it", async () => {
      rewards.setClock(() => at("2026-05-04"))
      await rewards.importBatch("import:test", base(40))
      rewards.setClock(() => at("2026-05-05"))
      // the close stops inside its member pass for a while, holding its gate
      const dropSlow = await beforeBatch("rewards_test_slow", "day:%:members:%", "perform pg_sleep(2)")
      const poolMax: number = ((rewards as any).knex().client.pool as { max: number }).max
      try {
        const closing = rewards.closeDueDays()
        for (let i = 0; i < 100; i++) {
          const [slept] = await rows(`select count(*)::int as n from pg_stat_activity where wait_event = 'PgSleep'`)
          if (slept.n > 0) break
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        // each operation holds a connection of the store's pool while it waits at the close's gate
        const adjustments = Array.from({ length: poolMax + 2 }, (_, k) =>
          rewards.adjustBalance({ customerId: `cus_${k % 40}`, asset: "CREDIT", amount: "1", reason: "during the close", adminId: "user_1", requestId: `during-close-${k}` })
        )
        expect(await closing).toEqual(["2026-05-04"])
        await Promise.all(adjustments)
      } finally {
        await dropSlow()
      }
      const [adjusted] = await rows(`select count(*)::int as n from rewards_transfer_batch where key like '%during-close-%'`)
      expect(adjusted.n).toBe(poolMax + 2)
      const [run] = await rows(`select step from rewards_day_run where day = '2026-05-04'`)
      expect(run.step).toBe("done")
    })

    it("reports a failed close with its error, and the next tick finishes it without paying twice", async () => {
      rewards.setClock(() => at("2026-05-04"))
      await rewards.importBatch("import:test", base(40))
      rewards.setClock(() => at("2026-05-05"))

      // the database refuses the commit that publishes the member pass (as a full disk or a lost
      // connection would): the pass's batches are staged, nothing of them is visible yet
      const dropFail = await beforeBatch("rewards_test_fail", "day:%:cycle-returned:%", "raise exception 'disk full (test)'")
      await closeBusinessDaysJob(container) // logs, does not throw

      const listed = await api.get("/admin/rewards/day-runs", admin.headers)
      expect(listed.status).toBe(200)
      expect(listed.data.day_runs).toEqual([
        expect.objectContaining({ day: "2026-05-04", status: "failed", step: "release", error: expect.stringContaining("disk full (test)") }),
      ])
      expect(listed.data.pending_days).toEqual(["2026-05-04"])
      const staged = await rows(`select count(*)::int as n from rewards_transfer_batch where key like 'day:2026-05-04:members:%'`)
      expect(staged[0].n).toBeGreaterThan(0)
      expect((await rewards.audit()).violations).toEqual([]) // staged postings are not in the ledger yet
      // the staging partition, not attached yet, is kept from autovacuum while the close fills it
      const staging = await rows(
        `select c.relname, array_to_string(c.reloptions, ',') as options from pg_class c
          where c.relname like 'rewards\\_member\\_day\\_%' and c.relkind = 'r'
            and not exists (select 1 from pg_inherits i where i.inhrelid = c.oid)`
      )
      expect(staging).toEqual([expect.objectContaining({ options: "autovacuum_enabled=false" })])

      await dropFail()
      const closed = await api.post("/admin/rewards/day-runs/close", {}, admin.headers)
      expect(closed.data).toEqual({ closed: ["2026-05-04"] })
      const resumed = await ledger()
      // the resumed pass reserved new batch ids: its table's check no longer held, and was dropped
      expect((await batchChecks()).find((p) => p.name === staging[0].relname)).toEqual(expect.objectContaining({ check: null }))

      // the same day closed without the fault gives the same ledger
      await rows(`create or replace view rewards_member_state as select * from rewards_member_day where false`)
      const partitions = await rows(`select inhrelid::regclass::text as name from pg_inherits where inhparent = 'rewards_member_day'::regclass`)
      for (const { name } of partitions) await rows(`drop table ${name}`)
      await rows(`truncate rewards_transfer, rewards_transfer_batch, rewards_balance, rewards_member_balance, rewards_snapshot,
                  rewards_tranche, rewards_member, rewards_order, rewards_day_run, rewards_day_sales, rewards_event,
                  rewards_program, rewards_config_version`)
      rewards.setClock(() => at("2026-05-04"))
      await rewards.importBatch("import:test", base(40))
      rewards.setClock(() => at("2026-05-05"))
      expect(await rewards.closeDueDays()).toEqual(["2026-05-04"])
      const clean = await ledger()
      expect(resumed.transfers).toEqual(clean.transfers)
      expect(resumed.balances).toEqual(clean.balances)
      expect(resumed.tranches).toEqual(clean.tranches)
      expect(resumed.members).toEqual(clean.members)
      expect(resumed.runs).toEqual(clean.runs)
      expect((await rewards.audit()).violations).toEqual([])

      const after = await api.get("/admin/rewards/day-runs", admin.headers)
      expect(after.data.day_runs[0]).toEqual(
        expect.objectContaining({ day: "2026-05-04", status: "closed", step: "done", error: null })
      )
      expect(after.data.day_runs[0].report.release.base).not.toBe("0")
      expect(after.data.day_runs[0].batches_committed).toBeGreaterThan(2)

      const audited = await api.get("/admin/rewards/audit", admin.headers)
      expect(audited.data).toEqual(expect.objectContaining({ ok: true, violations: [] }))
      expect(audited.data.transfers).toBe(resumed.transfers.length)
      // a balance that no longer matches its transfers is reported with its account (a member's
      // balance is its day snapshot plus its changes since: one more change that no transfer made)
      await rows(`insert into rewards_member_balance (account, asset, amount) values ('m:cus_3', 'QUOTA', 1)`)
      const broken = await api.get("/admin/rewards/audit", admin.headers)
      expect(broken.data.ok).toBe(false)
      expect(broken.data.violations).toEqual([expect.objectContaining({ invariant: 1, accounts: ["m:cus_3"] })])
      // and sound again once that change is gone (the audit after every test checks it too)
      await rows(`delete from rewards_member_balance where account = 'm:cus_3' and asset = 'QUOTA'`)
      expect((await api.get("/admin/rewards/audit", admin.headers)).data.ok).toBe(true)
    })

    it("guards the admin routes: authentication, and 400 naming the field", async () => {
      const unauthenticated = await api.get("/admin/rewards/day-runs").catch((e: any) => e.response)
      expect(unauthenticated.status).toBe(401)
      expect((await api.get("/admin/rewards/audit").catch((e: any) => e.response)).status).toBe(401)
      const post = await api.post("/admin/rewards/day-runs/close", {}).catch((e: any) => e.response)
      expect(post.status).toBe(401)
      const bad = await api.get("/admin/rewards/day-runs?limit=0", admin.headers).catch((e: any) => e.response)
      expect(bad.status).toBe(400)
      expect(bad.data.message).toMatch(/limit/)
      const extra = await api.post("/admin/rewards/day-runs/close", { day: "2026-01-01" }, admin.headers).catch((e: any) => e.response)
      expect(extra.status).toBe(400)
      expect(extra.data.message).toMatch(/day/)
      expect(await rows(`select 1 from rewards_day_run`)).toEqual([])
    })
  },
})
