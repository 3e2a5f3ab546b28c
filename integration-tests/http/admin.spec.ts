/**
 * The rewards admin API (issue 5) in a real Medusa store on a real PostgreSQL: settings with
 * the one config schema's field errors, versions and the §10 acknowledgement; members with
 * search, sort, detail, adjustments and referrer changes; the ledger explorer with keyset
 * pagination and CSV; the dashboard and obligations; the forecast. Every route requires an
 * admin; every bad input is a 400 naming its fields and writes nothing.
 *
 * Seeded once (top-level beforeAll; the runner restores that database before every test):
 * A ← B ← C (referral codes), D without referrer and without orders; B and C bought on DAY1,
 * A on DAY2; DAY1 is closed.
 */
import type { MedusaContainer } from "@medusajs/framework/types"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { REWARDS_MODULE } from "../../src/modules/rewards"
import type RewardsModuleService from "../../src/modules/rewards/service"
import { awardOrderWorkflow, joinMemberWorkflow } from "../../src/workflows"
import { useProgram, rowsOf, auditAfterEachTest, type AdminUser, createAdminUser, createCustomer, placeOrder, seedStore, type SeededStore } from "../helpers"

const PROGRAM = {
  currency: "CNY",
  timezone: "UTC",
  scale: 4,
  schemes: {
    growth: { enabled: true, poolRate: "0.30", buyerIssueRate: "0.70" },
    cycle: { enabled: true, weightUnit: "100", tiers: [{ name: "V1", min: 1, max: null, rate: "0.05" }] },
    release: { enabled: true, levels: [{ threshold: "150", multiple: "2.5" }] },
  },
}
useProgram("admin", PROGRAM)

const DAY1 = "2026-04-06"
const DAY2 = "2026-04-07"
const DAY3 = "2026-04-08"

type Row = Record<string, any>

/** Row counts of every table an admin route could write. */
async function writeCounts(container: MedusaContainer) {
  const [r] = await rowsOf(
    container,
    `select (select count(*) from rewards_transfer)::int as transfers,
            (select count(*) from rewards_transfer_batch)::int as batches,
            (select count(*) from rewards_config_version)::int as versions,
            (select string_agg(customer_id || ':' || coalesce(referrer_id, '-') || ':' || depth, ',' order by seq) from rewards_member) as tree,
            (select string_agg(account || asset || amount::text, ',' order by account, asset) from rewards_balance) as balances`
  )
  return r
}

medusaIntegrationTestRunner({
  inApp: true,
  testSuite: ({ api, getContainer }) => {
    auditAfterEachTest(getContainer)
    let container: MedusaContainer
    let store: SeededStore
    let rewards: RewardsModuleService
    let admin: AdminUser
    const people: Record<"a" | "b" | "c" | "d", { id: string; email: string; code: string }> = {} as any
    const orders: Record<string, string> = {}

    const setDay = (day: string) => rewards.setClock(() => new Date(`${day}T10:00:00Z`))
    /** Expects a 400 whose issues name exactly `fields` (in any order). */
    async function rejects(request: Promise<unknown>, fields: string[]) {
      const e: any = await request.then(
        () => {
          throw new Error("expected a 400")
        },
        (err) => err
      )
      expect(e.response?.status).toBe(400)
      expect(e.response.data.type).toBe("invalid_data")
      expect(e.response.data.issues.map((i: Row) => i.field).sort()).toEqual([...fields].sort())
      for (const i of e.response.data.issues) expect(typeof i.rule).toBe("string")
      return e.response.data
    }

    beforeAll(async () => {
      container = getContainer()
      rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
      store = await seedStore(container, { currency: "cny", unitPrice: 100, shippingPrice: 10 })
      admin = await createAdminUser(container)
      setDay(DAY1)
      let referral: string | undefined
      for (const [key, name, phone] of [
        ["a", "Ada", "+8613800000001"],
        ["b", "Bo", "+8613800000002"],
        ["c", "Chen", "+8613800000003"],
        ["d", "Dee", "+8613800000004"],
      ] as const) {
        const { customer } = await createCustomer(container, {
          first_name: name,
          last_name: "Member",
          phone,
          metadata: key === "b" || key === "c" ? { referral_code: referral } : undefined,
        })
        await joinMemberWorkflow(container).run({ input: { customer_id: customer.id } })
        const code = (await rewards.getMemberByCustomerId(customer.id))!.referral_code
        people[key] = { id: customer.id, email: customer.email, code }
        if (key !== "c") referral = code
      }
      const buy = async (who: "a" | "b" | "c", quantity: number) => {
        const { order_id } = await placeOrder(container, store, {
          customer_id: people[who].id,
          items: [{ variant_id: store.variant.id, quantity }],
        })
        await awardOrderWorkflow(container).run({ input: { order_id } })
        orders[who] = order_id
      }
      await buy("b", 6)
      await buy("c", 2)
      setDay(DAY2)
      await rewards.closeDueDays()
      await buy("a", 5)
    })

    it("every route requires an admin", async () => {
      const routes: [string, string][] = [
        ["get", "/admin/rewards/config"],
        ["post", "/admin/rewards/config"],
        ["post", "/admin/rewards/config/validate"],
        ["get", "/admin/rewards/members"],
        ["get", `/admin/rewards/members/${people.a.id}`],
        ["post", `/admin/rewards/members/${people.a.id}/adjustments`],
        ["post", `/admin/rewards/members/${people.a.id}/referrer`],
        ["get", "/admin/rewards/transfers"],
        ["get", "/admin/rewards/transfers/export"],
        ["get", "/admin/rewards/dashboard"],
        ["post", "/admin/rewards/forecast"],
      ]
      const before = await writeCounts(container)
      for (const [method, url] of routes) {
        const res = await (api as any)[method](url, ...(method === "post" ? [{}] : [])).catch((e: any) => e.response)
        expect({ url, status: res.status }).toEqual({ url, status: 401 })
      }
      expect(await writeCounts(container)).toEqual(before)
    })

    it("settings: field errors from the one schema, versions from the next business day, the §10 acknowledgement", async () => {
      setDay(DAY2)
      const { data: state } = await api.get("/admin/rewards/config", admin.headers)
      expect(state.versions).toHaveLength(1)
      expect(state.versions[0]).toMatchObject({ version: 1, createdBy: "plugin-options", acknowledgement: null })
      expect(state.defaults.schemes.growth.poolRate).toBe("0.3")
      expect(state.nextEffectiveFrom).toBe(DAY3)
      expect(state.legalNotice.version).toMatch(/^rules-10-[0-9a-f]{12}$/)
      expect(state.legalNotice.text.en).toContain("Article 7 of the Regulations on Prohibition of Pyramid Selling")
      expect(state.legalNotice.text["zh-CN"]).toContain("《禁止传销条例》第七条")

      const current = state.versions[0].config
      const bad = {
        ...current,
        scale: "4",
        schemes: {
          ...current.schemes,
          growth: { ...current.schemes.growth, poolRate: "1.5", buyerIssueRate: "abc" },
          cycle: { ...current.schemes.cycle, tiers: [{ min: 5, max: 2, rate: "0.01" }] },
          release: { ...current.schemes.release, levels: [{ threshold: "0", multiple: "2" }], bogus: 1 },
        },
      }
      // validate: 200 with the issues; nothing saved
      const { data: checked } = await api.post("/admin/rewards/config/validate", { config: bad }, admin.headers)
      expect(checked.valid).toBe(false)
      const fields = checked.issues.map((i: Row) => i.field)
      expect(fields).toEqual(
        expect.arrayContaining([
          "scale",
          "schemes.growth.poolRate",
          "schemes.growth.buyerIssueRate",
          "schemes.release.levels[0].threshold",
          "schemes.release.bogus",
        ])
      )
      expect(checked.issues.find((i: Row) => i.field === "schemes.growth.poolRate").rule).toBe("must be between 0 and 1")
      const { data: ok } = await api.post("/admin/rewards/config/validate", { config: current }, admin.headers)
      expect(ok).toEqual({ valid: true, issues: [] })
      await rejects(api.post("/admin/rewards/config/validate", { draft: {} }, admin.headers), ["config", "draft"])

      const before = await writeCounts(container)
      const saved400 = await rejects(api.post("/admin/rewards/config", { config: bad }, admin.headers), fields)
      expect(saved400.message).toContain("schemes.growth.poolRate: must be between 0 and 1")
      // the program's scale is fixed once it started
      await rejects(api.post("/admin/rewards/config", { config: { ...current, scale: 6 } }, admin.headers), ["scale"])
      // team rewards need the acknowledgement, of the current text
      const team = { ...current, schemes: { ...current.schemes, release: { ...current.schemes.release, teamRewardsEnabled: true } } }
      await rejects(api.post("/admin/rewards/config", { config: team }, admin.headers), ["acknowledgement"])
      await rejects(
        api.post("/admin/rewards/config", { config: team, acknowledgement: { noticeVersion: "rules-10-old", accepted: true } }, admin.headers),
        ["acknowledgement.noticeVersion"]
      )
      await rejects(
        api.post("/admin/rewards/config", { config: team, acknowledgement: { noticeVersion: state.legalNotice.version } }, admin.headers),
        ["acknowledgement.accepted"]
      )
      expect(await writeCounts(container)).toEqual(before)

      // a valid save: version 2 from the next business day, by this admin
      const changed = { ...current, schemes: { ...current.schemes, growth: { ...current.schemes.growth, sellFeeRate: "0.2" } } }
      const { status, data: v2 } = await api.post("/admin/rewards/config", { config: changed, note: "higher fee" }, admin.headers)
      expect(status).toBe(201)
      expect(v2.version).toMatchObject({ version: 2, effectiveFrom: DAY3, createdBy: admin.user.id, note: "higher fee", acknowledgement: null })
      const { data: v3 } = await api.post(
        "/admin/rewards/config",
        { config: team, acknowledgement: { noticeVersion: state.legalNotice.version, locale: "zh-CN", accepted: true } },
        admin.headers
      )
      expect(v3.version.acknowledgement).toMatchObject({ by: admin.user.id, noticeVersion: state.legalNotice.version, locale: "zh-CN" })
      expect(Date.parse(v3.version.acknowledgement.at)).not.toBeNaN()
      // keeping team rewards on needs no new acknowledgement; history lists who changed what
      const keep = { ...team, note: undefined }
      await api.post("/admin/rewards/config", { config: keep }, admin.headers)
      const { data: after } = await api.get("/admin/rewards/config", admin.headers)
      expect(after.versions.map((v: Row) => [v.version, v.createdBy])).toEqual([
        [4, admin.user.id],
        [3, admin.user.id],
        [2, admin.user.id],
        [1, "plugin-options"],
      ])
      expect(after.teamRewardsAcknowledged).toBe(true)
    })

    it("members: search, sort by balance, detail with team performance; bad queries are 400s", async () => {
      const { data: all } = await api.get("/admin/rewards/members?sort=joined&order=asc", admin.headers)
      expect(all.count).toBe(4)
      expect(all.members.map((m: Row) => m.customerId)).toEqual([people.a.id, people.b.id, people.c.id, people.d.id])
      expect(all.members[0].customer).toMatchObject({ firstName: "Ada", email: people.a.email, phone: "+8613800000001" })

      for (const [q, who] of [
        ["Chen", "c"],
        [people.b.email, "b"],
        ["+8613800000004", "d"],
        [people.a.code.toLowerCase(), "a"],
      ] as const) {
        const { data } = await api.get(`/admin/rewards/members?q=${encodeURIComponent(q)}`, admin.headers)
        expect({ q, ids: data.members.map((m: Row) => m.customerId) }).toEqual({ q, ids: [people[who].id] })
      }
      // B bought 600 and C 200 (quota 2×): sorted by quota, descending
      const { data: byQuota } = await api.get("/admin/rewards/members?sort=QUOTA&order=desc&limit=2", admin.headers)
      expect(byQuota.members.map((m: Row) => m.customerId)).toEqual([people.a.id, people.b.id])
      expect(Number(byQuota.members[0].balances.QUOTA)).toBeGreaterThanOrEqual(Number(byQuota.members[1].balances.QUOTA))

      await rejects(api.get("/admin/rewards/members?sort=FOO&limit=0&extra=1", admin.headers), ["sort", "limit", "extra"])

      const { data: detail } = await api.get(`/admin/rewards/members/${people.a.id}`, admin.headers)
      expect(detail.member).toMatchObject({
        customerId: people.a.id,
        referralCode: people.a.code,
        referrerId: null,
        directDownline: 1,
        totalDownline: 2,
        team: { cash: "800", points: "0", total: "800" },
        customer: { firstName: "Ada" },
      })
      expect(Number(detail.member.balances.GROWTH)).toBeGreaterThan(0)
      expect(detail.recentTransfers.length).toBeGreaterThan(0)
      const { data: c } = await api.get(`/admin/rewards/members/${people.c.id}`, admin.headers)
      expect(c.member).toMatchObject({ referrerId: people.b.id, referrerCode: people.b.code, referrer: { firstName: "Bo" }, depth: 2 })
      const missing = await api.get(`/admin/rewards/members/cus_nope`, admin.headers).catch((e: any) => e.response)
      expect(missing.status).toBe(404)
    })

    it("adjustments: recorded with the admin's id; a negative result, a blank reason or a bad asset writes nothing", async () => {
      const url = `/admin/rewards/members/${people.d.id}/adjustments`
      const before = await writeCounts(container)
      await rejects(api.post(url, { asset: "CREDIT", amount: "-1", reason: "oops" }, admin.headers), ["amount"])
      await rejects(api.post(url, { asset: "CREDIT", amount: "5", reason: "   " }, admin.headers), ["reason"])
      await rejects(api.post(url, { asset: "MONEY", amount: "1e3", extra: true }, admin.headers), ["asset", "amount", "reason", "extra"])
      await rejects(api.post(url, { asset: "CREDIT", amount: "0.00001", reason: "too fine" }, admin.headers), ["amount"])
      expect(await writeCounts(container)).toEqual(before)

      const { status, data } = await api.post(url, { asset: "CREDIT", amount: "12.5", reason: " goodwill " }, admin.headers)
      expect(status).toBe(201)
      expect(data.adjustment.transfers).toEqual([
        { asset: "CREDIT", debit: "sys:adjustments", credit: `m:${people.d.id}`, amount: "12.5", reason: "admin.adjust" },
      ])
      const [batch] = await rowsOf(container, `select key, source from rewards_transfer_batch where key like 'adjust:%'`)
      expect(batch.source).toBe(admin.user.id)
      await api.post(url, { asset: "CREDIT", amount: "-12.5", reason: "reverted" }, admin.headers)
      await rejects(api.post(url, { asset: "CREDIT", amount: "-0.0001", reason: "below zero" }, admin.headers), ["amount"])
    })

    it("audit: sound after real orders and a close; a balance no transfer explains is named, also of an account that is no member", async () => {
      const { data: sound } = await api.get("/admin/rewards/audit", admin.headers)
      expect(sound.ok).toBe(true)
      expect(sound.violations).toEqual([])
      expect(sound.transfers).toBeGreaterThan(10)

      // a member's balance changed behind the ledger's back, and a change row of an account that is no member
      const member = `m:${people.d.id}`
      await rowsOf(container, `insert into rewards_member_balance (account, asset, amount) values (?, 'POINTS', 7), ('m:nobody', 'CREDIT', 3)`, [member])
      const { data: broken } = await api.get("/admin/rewards/audit", admin.headers)
      expect(broken.ok).toBe(false)
      expect(broken.violations.map((v: Row) => [v.invariant, v.accounts]).sort()).toEqual([
        [1, [member]], // customer ids ("m:cus_…") sort before "m:nobody"
        [1, ["m:nobody"]],
      ])
      await rowsOf(container, `delete from rewards_member_balance where (account, asset) in ((?, 'POINTS'), ('m:nobody', 'CREDIT'))`, [member])
    })

    it("referrer: changes before the first order, moves the downline's depth, refuses cycles and members who ordered", async () => {
      const url = (who: "a" | "b" | "c" | "d") => `/admin/rewards/members/${people[who].id}/referrer`
      const before = await writeCounts(container)
      await rejects(api.post(url("c"), { referrer: people.d.code }, admin.headers), ["member"]) // C ordered
      await rejects(api.post(url("d"), { referrer: people.d.id }, admin.headers), ["referrer"]) // self
      await rejects(api.post(url("d"), { referrer: "NOSUCHCD" }, admin.headers), ["referrer"])
      await rejects(api.post(url("d"), { referrer: 5 }, admin.headers), ["referrer"])
      await rejects(api.post(url("d"), {}, admin.headers), ["referrer"])
      expect(await writeCounts(container)).toEqual(before)

      // D (no orders) under C by referral code: depth 3
      const { data } = await api.post(url("d"), { referrer: people.c.code }, admin.headers)
      expect(data.member).toMatchObject({ referrerId: people.c.id, depth: 3 })
      const { data: c } = await api.get(`/admin/rewards/members/${people.c.id}`, admin.headers)
      expect(c.member.directDownline).toBe(1)
      // E joins under D: D under E would close a cycle (the walk up from E finds D)
      const { customer: e } = await createCustomer(container, { metadata: { referral_code: people.d.code } })
      await joinMemberWorkflow(container).run({ input: { customer_id: e.id } })
      const eMember = (await rewards.getMemberByCustomerId(e.id))!
      expect(eMember).toMatchObject({ referrer_id: people.d.id, depth: 4 })
      const beforeCycle = await writeCounts(container)
      await rejects(api.post(url("d"), { referrer: eMember.referral_code }, admin.headers), ["referrer"])
      expect(await writeCounts(container)).toEqual(beforeCycle)
      // and back to a root, with E's depth moved along
      await api.post(url("d"), { referrer: null }, admin.headers)
      const [d] = await rowsOf(container, `select referrer_id, depth from rewards_member where customer_id = ?`, [people.d.id])
      expect(d).toEqual({ referrer_id: null, depth: 0 })
      expect((await rewards.getMemberByCustomerId(e.id))!.depth).toBe(1)
      const [batch] = await rowsOf(container, `select source from rewards_transfer_batch where key like ? limit 1`, [`referrer:${people.d.id}:%`])
      expect(batch.source).toBe(admin.user.id)
      const audit = await rewards.audit()
      expect(audit.violations).toEqual([])
    })

    it("ledger: filters, keyset pages that add up to the whole, streamed CSV", async () => {
      const { data: everything } = await api.get("/admin/rewards/transfers?limit=500", admin.headers)
      const total = everything.transfers.length
      expect(total).toBeGreaterThan(20)
      expect(everything.nextCursor).toBeNull()
      const ids = everything.transfers.map((t: Row) => Number(t.id))
      expect([...ids].sort((x, y) => y - x)).toEqual(ids) // newest first

      // pages of 7 walk the same rows
      const walked: string[] = []
      let cursor: string | null = null
      do {
        const { data }: { data: Row } = await api.get(`/admin/rewards/transfers?limit=7${cursor ? `&cursor=${cursor}` : ""}`, admin.headers)
        walked.push(...data.transfers.map((t: Row) => t.id))
        cursor = data.nextCursor
      } while (cursor)
      expect(walked).toEqual(everything.transfers.map((t: Row) => t.id))

      const filtered = async (query: string) => (await api.get(`/admin/rewards/transfers?limit=500&${query}`, admin.headers)).data.transfers as Row[]
      const ofB = await filtered(`member=${people.b.id}`)
      expect(ofB.length).toBeGreaterThan(0)
      expect(ofB.every((t) => t.debit === `m:${people.b.id}` || t.credit === `m:${people.b.id}`)).toBe(true)
      expect(ofB).toEqual(everything.transfers.filter((t: Row) => t.debit === `m:${people.b.id}` || t.credit === `m:${people.b.id}`))
      const payouts = await filtered("reason=cycle.payout&asset=CREDIT")
      expect(payouts.length).toBeGreaterThan(0)
      expect(payouts.every((t) => t.reason === "cycle.payout" && t.asset === "CREDIT" && t.day === DAY1)).toBe(true)
      const day2 = await filtered(`day=${DAY2}`)
      expect(day2.length).toBeGreaterThan(0)
      expect(day2).toEqual(everything.transfers.filter((t: Row) => t.day === DAY2))
      const ofOrder = await filtered(`order=${orders.c}`)
      expect(new Set(ofOrder.map((t) => t.batchKey))).toEqual(new Set([`order:${orders.c}:award`]))
      expect(await filtered("day=2020-01-01")).toEqual([])

      await rejects(api.get("/admin/rewards/transfers?day=06-04-2026&cursor=abc&asset=GOLD&limit=501", admin.headers), [
        "day",
        "cursor",
        "asset",
        "limit",
      ])

      const csv = await api.get(`/admin/rewards/transfers/export?member=${people.b.id}`, { ...admin.headers, responseType: "text" } as any)
      expect(csv.headers["content-type"]).toContain("text/csv")
      const lines = String(csv.data).trim().split("\r\n")
      expect(lines[0]).toBe("id,day,batchKey,source,configVersion,asset,debit,credit,amount,reason,createdAt")
      expect(lines).toHaveLength(ofB.length + 1)
      expect(lines[1].split(",")[0]).toBe(ofB[0].id)
    })

    it("dashboard: per-day figures per scheme and the obligations next to their backing", async () => {
      setDay(DAY3)
      await rewards.closeDueDays() // closes DAY2
      const { data } = await api.get(`/admin/rewards/dashboard?from=${DAY1}&to=${DAY3}`, admin.headers)
      expect(data.days.map((d: Row) => d.day)).toEqual([DAY1, DAY2])
      const [d1, d2] = data.days
      expect(d1.sales).toBe("800")
      expect(d1.growth).toMatchObject({ inflow: "240", payouts: "0", pool: "240" })
      expect(d2.growth).toMatchObject({ inflow: "150", pool: "390" })
      const summary = await rewards.getSummary()
      expect(d2.growth.price).toBe(summary.growth.price)
      expect(d2.growth.supply).toBe(summary.growth.supply)
      expect(d1.cycle.inflow).toBe("280") // 800 × (pro-rata 0.30 + tier 0.05)
      expect(Number(d1.cycle.paid) + Number(d1.cycle.returned)).toBeCloseTo(280, 6)
      expect(Number(d2.release.base)).toBeGreaterThan(0)

      const lines = Object.fromEntries(data.obligations.lines.map((l: Row) => [l.key, l]))
      expect(Object.keys(lines).sort()).toEqual(["credit", "growth", "locked", "quota", "released"])
      expect(Number(lines.growth.value)).toBeGreaterThan(0)
      expect(Math.abs(Number(lines.growth.gap))).toBeLessThan(0.01) // backed by the pool by construction
      expect(lines.quota.backing).toBe("0")
      expect(Number(lines.quota.gap)).toBeLessThan(0)
      expect(Number(lines.credit.units)).toBeGreaterThan(0)
      expect(lines.locked.value).toBe(lines.locked.units) // pointValue 1

      await rejects(api.get(`/admin/rewards/dashboard?from=${DAY3}&to=${DAY1}`, admin.headers), ["to"])
      await rejects(api.get(`/admin/rewards/dashboard?from=2026-4-1&x=1`, admin.headers), ["from", "x"])
    })

    it("forecast: deterministic series from the same engine; bad paths and drafts are 400s; writes nothing", async () => {
      const before = await writeCounts(container)
      const body = {
        horizon: 30,
        seed: 7,
        path: { dailySales: "2000", growthRate: "0.02", stopDay: 20, averageOrder: "250" },
        base: { kind: "synthetic", members: 50, averageOrder: "300" },
      }
      const { data: one } = await api.post("/admin/rewards/forecast", body, admin.headers)
      const { data: two } = await api.post("/admin/rewards/forecast", body, admin.headers)
      expect(one).toEqual(two)
      const f = one.forecast
      expect(f.days).toHaveLength(31)
      expect(f.baseMembers).toBe(50)
      expect(f.days[1].sales).not.toBe("0")
      expect(f.days[19].sales).not.toBe("0")
      expect(f.days.slice(20).every((d: Row) => d.sales === "0" && d.orders === 0)).toBe(true)
      expect(Number(f.days[30].obligations.quota)).toBeGreaterThan(0)
      expect(f.summary.firstExceedsDay).not.toBeNull()
      const { data: other } = await api.post("/admin/rewards/forecast", { ...body, seed: 8 }, admin.headers)
      expect(other.forecast.days[5]).not.toEqual(f.days[5])

      // the current member base and the configuration in force
      const { data: current } = await api.post(
        "/admin/rewards/forecast",
        { horizon: 3, path: { dailySales: "0", growthRate: "0", averageOrder: "100" } },
        admin.headers
      )
      expect(current.configSource).toBe("current")
      expect(current.forecast.baseMembers).toBe(4)

      await rejects(
        api.post("/admin/rewards/forecast", { horizon: 366, path: { dailySales: "-1", growthRate: "2", averageOrder: "0" }, base: { kind: "x" } }, admin.headers),
        ["horizon", "path.dailySales", "path.growthRate", "path.averageOrder", "base.kind"]
      )
      await rejects(
        api.post("/admin/rewards/forecast", { ...body, config: { schemes: { cycle: { proRataPoolRate: "2" } } } }, admin.headers),
        ["config.schemes.cycle.proRataPoolRate"]
      )
      await rejects(
        api.post("/admin/rewards/forecast", { ...body, path: { ...body.path, dailySales: "10000000", averageOrder: "1" } }, admin.headers),
        ["path.averageOrder"]
      )
      expect(await writeCounts(container)).toEqual(before)
    })
  },
})
