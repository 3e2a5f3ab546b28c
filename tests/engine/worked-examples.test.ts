/**
 * RULES.md §8, every worked example as its own test, with the numbers of RULES.md written
 * here (not read from tests/examples/expected). The scenarios are built in code and run
 * through the simulator (`simulateDoc`), or on the engine directly where a test needs to
 * look inside the store (tranches).
 */
import { parseProgramConfig } from "../../src/engine/config"
import { Dec, formatAtoms } from "../../src/engine/decimal"
import type { SimulationOutput } from "../../src/simulator/output"
import { memoryEngine } from "../../src/simulator/scenario"
import { norm, scenario, simulateDoc } from "../helpers"

const D1 = "2026-01-01"
const D2 = "2026-01-02"

type Ev = Record<string, unknown>
const join = (member: string, referrer: string | null = null, day = D1): Ev => ({ type: "join", day, member, referrer })
const order = (id: string, member: string, amount: string, day = D1): Ev => ({ type: "order", day, id, member, amount })
const closeDay = (day = D1): Ev => ({ type: "closeDay", day })

async function run(program: unknown, events: Ev[]): Promise<SimulationOutput> {
  const out = await simulateDoc(scenario(program, events))
  expect(out.invariants).toEqual({ ok: true, violations: [] })
  return out
}

/** Amounts compared as decimals: "300.0000" and "300" are the same. */
function expectAmount(actual: string, expected: string): void {
  expect(norm(actual)).toBe(norm(expected))
}

function member(out: SimulationOutput, id: string) {
  const m = out.members[id]
  expect(m).toBeDefined()
  return m
}

function day(out: SimulationOutput, d: string) {
  const r = out.days.find((x) => x.day === d)
  expect(r).toBeDefined()
  return r!
}

// ---------------------------------------------------------------------------------------
// Growth (§2): poolRate 0.30, buyerIssueRate 0.70, initialPrice 1, a 100-yuan sale each
// time, no referrers, no sell-backs.
// ---------------------------------------------------------------------------------------

const growthProgram = (scale = 4) => ({
  scale,
  schemes: { growth: { enabled: true, poolRate: "0.30", buyerIssueRate: "0.70", initialPrice: "1" } },
})

const BUYERS = ["A", "B", "C", "D"]
const buyer = (i: number) => BUYERS[i] ?? `M${i + 1}`

/** `n` sales of 100, each by a new member (A, B, C, D, M5, M6, …). */
function sales(n: number): Ev[] {
  const events: Ev[] = []
  for (let i = 0; i < n; i++) events.push(join(buyer(i)), order(`o${i + 1}`, buyer(i), "100"))
  return events
}

describe("RULES.md §8 growth", () => {
  it.each([
    { sale: "A", n: 1, points: "21", supply: "21", pool: "30", price: "1.428571428571" },
    { sale: "B", n: 2, points: "14.7", supply: "35.7", pool: "60", price: "1.680672268907" },
    { sale: "C", n: 3, points: "12.495", supply: "48.195", pool: "90", price: "1.867413632119" },
    { sale: "D", n: 4, points: "11.2455", supply: "59.4405", pool: "120", price: "2.018825548237" },
  ])(
    "§8 growth: sale $sale issues $points points → supply $supply, pool $pool, price $price",
    async ({ n, points, supply, pool, price }) => {
      const out = await run(growthProgram(), sales(n))
      expectAmount(member(out, buyer(n - 1)).growth, points)
      expectAmount(out.growth.supply, supply)
      expectAmount(out.growth.pool, pool)
      expect(out.growth.price).toBe(price)
      // the earlier buyers keep what they got
      if (n > 1) expectAmount(member(out, "A").growth, "21")
    }
  )

  it("§8 growth: sale D's price 2.018825548237 is ≈ 2.0188", async () => {
    const out = await run(growthProgram(), sales(4))
    expect(new Dec(out.growth.price).toDecimalPlaces(4, Dec.ROUND_HALF_UP).toFixed()).toBe("2.0188")
  })

  it("§8 growth: after the 100th sale at the default scale 4 the pool is 3000 and the price 5.173168362143", async () => {
    const out = await run(growthProgram(4), sales(100))
    expectAmount(out.growth.pool, "3000")
    expect(out.growth.price).toBe("5.173168362143")
  })

  it("§8 growth: after the 100th sale at scale 6 the pool is 3000 and the price 5.173077427584 (≈ 5.1731)", async () => {
    const out = await run(growthProgram(6), sales(100))
    expectAmount(out.growth.pool, "3000")
    expect(out.growth.price).toBe("5.173077427584")
    expect(new Dec(out.growth.price).toDecimalPlaces(4, Dec.ROUND_HALF_UP).toFixed()).toBe("5.1731")
  })

  it("§8 growth: after the 100th sale A's 21 points are worth ≈ 108.63 at scale 6 (108.6346…)", async () => {
    const out = await run(growthProgram(6), sales(100))
    expectAmount(member(out, "A").growth, "21")
    const value = new Dec(member(out, "A").growth).times(out.growth.price)
    expect(value.toFixed()).toMatch(/^108\.6346/)
    expect(value.toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed()).toBe("108.63")
  })

  it("§8 growth: at scale 4 the price is slightly higher and A's 21 points are worth 108.6365…", async () => {
    const at4 = await run(growthProgram(4), sales(100))
    const at6 = await run(growthProgram(6), sales(100))
    // points rounded down at scale 4 leave fewer in circulation
    expect(new Dec(at4.growth.supply).lt(at6.growth.supply)).toBe(true)
    expect(new Dec(at4.growth.price).gt(at6.growth.price)).toBe(true)
    const value = new Dec(member(at4, "A").growth).times(at4.growth.price)
    expect(value.toFixed()).toMatch(/^108\.6365/)
  })
})

// ---------------------------------------------------------------------------------------
// Cycle (§3)
// ---------------------------------------------------------------------------------------

describe("RULES.md §8 cycle", () => {
  it("§8 cycle: A has 10 of 100 active weight, the day's sales are 10 000 → pool 3 000, A's pro-rata payout 300", async () => {
    // B holds 90 weight from an earlier day; on D2 A's 10 000 are the day's only sales
    const out = await run({ schemes: { cycle: { enabled: true } } }, [
      join("B"),
      order("b1", "B", "90000"),
      closeDay(D1),
      join("A", null, D2),
      order("a1", "A", "10000", D2),
      closeDay(D2),
    ])
    expect(member(out, "A").weight).toBe("10")
    expect(member(out, "B").weight).toBe("90")
    const d2 = day(out, D2)
    expectAmount(d2.sales, "10000")
    expectAmount(d2.cycle.proRataPool, "3000")
    expectAmount(member(out, "A").credit, "300")
  })

  it("§8 cycle: A's purchase of 1 000 with quotaMultiple 2, weightUnit 1000 gives quota 2 000 and weight 1", async () => {
    const out = await run({ schemes: { cycle: { enabled: true, quotaMultiple: "2", weightUnit: "1000" } } }, [
      join("A"),
      order("a1", "A", "1000"),
    ])
    expectAmount(member(out, "A").quota, "2000")
    expect(member(out, "A").weight).toBe("1")
  })

  /** 100 members (A, M2 … M100) of one weight each: 100 000 of sales. */
  function hundredBuyers(): Ev[] {
    const events: Ev[] = []
    for (let i = 1; i <= 100; i++) {
      const id = i === 1 ? "A" : `M${i}`
      events.push(join(id), order(`o${i}`, id, "1000"))
    }
    events.push(closeDay())
    return events
  }

  it("§8 cycle variant: pro-rata pool 30 % of 100 000 = 30 000; A with 1 of 100 active weight gets 300", async () => {
    const out = await run({ schemes: { cycle: { enabled: true, proRataPoolRate: "0.30", tiers: [] } } }, hundredBuyers())
    const d1 = day(out, D1)
    expectAmount(d1.sales, "100000")
    expectAmount(d1.cycle.proRataPool, "30000")
    expect(member(out, "A").weight).toBe("1")
    expectAmount(member(out, "A").credit, "300")
  })

  it("§8 cycle variant: a tier pool of 1 000 shared by 100 members gives each 10", async () => {
    const out = await run(
      { schemes: { cycle: { enabled: true, proRataPoolRate: "0", tiers: [{ name: "V1", min: 1, max: 10, rate: "0.01" }] } } },
      hundredBuyers()
    )
    const d1 = day(out, D1)
    expect(d1.cycle.tierPools.map(norm)).toEqual(["1000"])
    expectAmount(d1.cycle.paid, "1000")
    for (const m of Object.values(out.members)) expectAmount(m.credit, "10")
  })
})

// ---------------------------------------------------------------------------------------
// Release (§4), default levels (≥3000 → 2.5×, ≥9000 → 3×, …) and dailyReleaseRate 0.012
// ---------------------------------------------------------------------------------------

const RELEASE = { schemes: { release: { enabled: true } } }

describe("RULES.md §8 release", () => {
  it("§8 release: a 3 000 order releases 36 per day from a tranche of 7 500 (2.5 × 3 000)", async () => {
    const out = await run(RELEASE, [join("A"), order("a1", "A", "3000"), closeDay(D1), closeDay(D2)])
    expectAmount(day(out, D1).release.base, "36")
    expectAmount(day(out, D2).release.base, "36")
    expectAmount(member(out, "A").pointsLocked, "7428") // 7500 − 2 × 36
    expectAmount(member(out, "A").points, "72")
  })

  it("§8 release: a 9 000 order releases 108 per day", async () => {
    const out = await run(RELEASE, [join("A"), order("a1", "A", "9000"), closeDay(D1)])
    expectAmount(day(out, D1).release.base, "108")
    expectAmount(member(out, "A").pointsLocked, "26892") // 3 × 9000 − 108
  })

  it("§8 release: the 3 000 and the later 9 000 order release 144 per day together", async () => {
    const out = await run(RELEASE, [
      join("A"),
      order("a1", "A", "3000"),
      closeDay(D1),
      order("a2", "A", "9000", D2),
      closeDay(D2),
    ])
    expectAmount(day(out, D1).release.base, "36")
    expectAmount(day(out, D2).release.base, "144")
  })

  it("§8 release: when the first tranche (7 500) is used up only 108 remain", async () => {
    // 7 500 ÷ 36: 208 full days (7 488), 12 on day 209 (2026-07-28), nothing after
    const out = await run(RELEASE, [
      join("A"),
      order("a1", "A", "3000"),
      closeDay(D1),
      order("a2", "A", "9000", D2),
      closeDay("2026-07-31"),
    ])
    expect(out.days).toHaveLength(212)
    expect(out.days[0].day).toBe(D1)
    expectAmount(out.days[0].release.base, "36")
    for (const d of out.days.slice(1, 208)) expectAmount(d.release.base, "144") // days 2 … 208
    expect(out.days[207].day).toBe("2026-07-27")
    expect(out.days[208].day).toBe("2026-07-28")
    expectAmount(out.days[208].release.base, "120") // the last 12 of the first tranche + 108
    for (const d of out.days.slice(209)) expectAmount(d.release.base, "108")
    expect(out.days[211].day).toBe("2026-07-31")
    // released: 36 + 207 × 144 + 120 + 3 × 108; the first tranche is empty
    const released = 36 + 207 * 144 + 120 + 3 * 108
    expectAmount(member(out, "A").points, String(released))
    expectAmount(member(out, "A").pointsLocked, String(7500 + 27000 - released))
  })
})

// ---------------------------------------------------------------------------------------
// Share (§4.3): A referred B; both bought 3 000; B releases 36 → A is owed 18
// ---------------------------------------------------------------------------------------

describe("RULES.md §8 share", () => {
  it("§8 share: A referred B, both bought 3 000; B releases 36 → A is owed 18", async () => {
    const out = await run(RELEASE, [join("A"), join("B", "A"), order("a1", "A", "3000"), order("b1", "B", "3000"), closeDay()])
    const d1 = day(out, D1)
    expectAmount(d1.release.base, "72")
    expectAmount(d1.release.share, "18")
    expectAmount(d1.release.forfeited, "0")
    expectAmount(member(out, "B").points, "36")
    expectAmount(member(out, "A").points, "54") // own 36 + 18
    expectAmount(member(out, "A").pointsLocked, "7446")
  })

  it("§8 share: A's 18 are taken from A's oldest tranche", async () => {
    const scale = 4
    const fmt = (a: bigint) => formatAtoms(a, scale)
    for (const [first, second] of [
      [
        { id: "z-old", amount: "3000" },
        { id: "a-new", amount: "9000" },
      ],
      [
        { id: "z-old", amount: "9000" },
        { id: "a-new", amount: "3000" },
      ],
    ]) {
      const program = parseProgramConfig({ scale, schemes: { release: { enabled: true } } })
      const { engine, store } = memoryEngine(program)
      await engine.join({ memberId: "A", referrerId: null, day: D1 })
      await engine.join({ memberId: "B", referrerId: "A", day: D1 })
      await engine.placeOrder({ orderId: first.id, memberId: "A", amount: new Dec(first.amount), day: D1 })
      await engine.placeOrder({ orderId: second.id, memberId: "A", amount: new Dec(second.amount), day: D1 })
      await engine.placeOrder({ orderId: "b1", memberId: "B", amount: new Dec("3000"), day: D1 })
      await engine.closeDay(D1)

      const tranches = (await store.getTranches("A")).sort((x, y) => x.seq - y.seq)
      expect(tranches.map((t) => t.orderId)).toEqual(["z-old", "a-new"])
      const grant = (amount: string) => new Dec(amount).times(amount === "3000" ? "2.5" : "3")
      const base = (amount: string) => new Dec(amount).times("0.012")
      // the oldest: its own base release and the 18 of share reward
      expect(norm(fmt(tranches[0].remaining))).toBe(norm(grant(first.amount).minus(base(first.amount)).minus(18).toFixed()))
      // the newer: only its own base release
      expect(norm(fmt(tranches[1].remaining))).toBe(norm(grant(second.amount).minus(base(second.amount)).toFixed()))
      expect(norm(fmt(store.memberBalancesNow("A").POINTS))).toBe("162") // 36 + 108 + 18
    }
  })
})

// ---------------------------------------------------------------------------------------
// Team differential (§4.4) and peer (§4.5), with the §4.4 default rates
// (1★ 0.10, 2★ 0.20, 3★ 0.26, 4★ 0.32, 5★ 0.38, 6★ 0.44, 7★ 0.50) and small thresholds.
// ---------------------------------------------------------------------------------------

const DEFAULT_TEAM_RATES = ["0.10", "0.20", "0.26", "0.32", "0.38", "0.44", "0.50"]
const teamLevels = (thresholds: string[]) => thresholds.map((threshold, i) => ({ threshold, rate: DEFAULT_TEAM_RATES[i] }))

describe("RULES.md §8 team differential", () => {
  // A → B → C → D, and E under B, F under A to lift B's and A's team performance. Orders of
  // 99 999 are below the only level (100 000 → 4×): they count in team performance but
  // create no tranche, so they release nothing. D's release is 0.1 × 100 000 = 10 000.
  const program = {
    scale: 4,
    schemes: {
      release: {
        enabled: true,
        teamRewardsEnabled: true,
        dailyReleaseRate: "0.1",
        levels: [{ threshold: "100000", multiple: "4" }],
        shareRates: ["0", "0"],
        teamLevels: teamLevels(["50000", "200000", "300000", "400000", "500000", "600000", "1000000"]),
      },
    },
  }

  /** D buys 100 000 either as one order (a tranche releasing 10 000) or as 99 999 + 1 (no tranche). */
  function events(dReleases: boolean): Ev[] {
    const ev: Ev[] = [join("A"), join("B", "A"), join("C", "B"), join("D", "C"), join("E", "B"), join("F", "A")]
    ev.push(order("a1", "A", "100000"), order("b1", "B", "100000"), order("c1", "C", "100000"))
    if (dReleases) ev.push(order("d1", "D", "100000"))
    else ev.push(order("d1", "D", "99999"), order("d2", "D", "1"))
    for (let i = 1; i <= 5; i++) ev.push(order(`e${i}`, "E", "99999")) // B's team: 100 000 + 100 000 + 499 995
    for (let i = 1; i <= 3; i++) ev.push(order(`f${i}`, "F", "99999")) // A's team: 100 000 + 699 995 + 299 997
    ev.push(closeDay())
    return ev
  }

  it("§8 team differential: C 1★ (10 %), B 6★ (44 %), A 7★ (50 %); C's downline releases 10 000 → C 1 000, B 3 400, A 600", async () => {
    const withD = await run(program, events(true))
    const withoutD = await run(program, events(false))
    for (const out of [withD, withoutD]) {
      expect(member(out, "C").starLevel).toBe(1)
      expect(member(out, "B").starLevel).toBe(6)
      expect(member(out, "A").starLevel).toBe(7)
    }
    expectAmount(member(withD, "D").points, "10000")
    expectAmount(member(withoutD, "D").points, "0")
    // what D's 10 000 adds to each upline's released points
    const gain = (id: string) => new Dec(member(withD, id).points).minus(member(withoutD, id).points).toFixed()
    expectAmount(gain("C"), "1000")
    expectAmount(gain("B"), "3400")
    expectAmount(gain("A"), "600")
    const teamGain = new Dec(day(withD, D1).release.team).minus(day(withoutD, D1).release.team).toFixed()
    expectAmount(teamGain, "5000")
    expectAmount(day(withD, D1).release.peer, "0")
  })

  it("§8 team differential: the whole day, A, B and C each releasing 10 000 of their own", async () => {
    const out = await run(program, events(true))
    // C: own 10 000 + 0.10 × D
    expectAmount(member(out, "C").points, "11000")
    // B: own 10 000 + 0.44 × C + (0.44 − 0.10) × D
    expectAmount(member(out, "B").points, "17800")
    // A: own 10 000 + 0.50 × B + (0.50 − 0.44) × C + (0.50 − 0.44) × D
    expectAmount(member(out, "A").points, "16200")
    const d1 = day(out, D1)
    expectAmount(d1.release.base, "40000")
    expectAmount(d1.release.team, "15000")
    expectAmount(d1.release.forfeited, "0")
  })
})

describe("RULES.md §8 peer", () => {
  // A → B → D; A and B each buy 1 000 (a tranche releasing 100 a day); D buys 10 R.
  // 1★ from a team performance of 5 000, 2★ only from 1 000 000: A and B are both 1★.
  const program = {
    scale: 4,
    schemes: {
      release: {
        enabled: true,
        teamRewardsEnabled: true,
        dailyReleaseRate: "0.1",
        levels: [{ threshold: "1000", multiple: "4" }],
        shareRates: ["0", "0"],
        teamLevels: teamLevels(["5000", "1000000", "2000000", "3000000", "4000000", "5000000", "6000000"]),
      },
    },
  }

  it.each([{ R: "1000" }, { R: "720" }, { R: "12345.6" }])(
    "§8 peer: A → B, both 1★; B's downline releases R = $R → B gets 0.10 R, A gets 0.03 R",
    async ({ R }) => {
      const r = new Dec(R)
      const out = await run(program, [
        join("A"),
        join("B", "A"),
        join("D", "B"),
        order("a1", "A", "1000"),
        order("b1", "B", "1000"),
        order("d1", "D", r.times(10).toFixed()),
        closeDay(),
      ])
      expect(member(out, "A").starLevel).toBe(1)
      expect(member(out, "B").starLevel).toBe(1)
      expectAmount(member(out, "D").points, R)
      const d1 = day(out, D1)
      // the only peer bonus of the day is A's
      expectAmount(d1.release.peer, r.times("0.03").toFixed())
      // B: own 100 + 0.10 R (team)
      expectAmount(member(out, "B").points, r.times("0.10").plus(100).toFixed())
      // A: own 100 + 0.10 × B's 100 (team) + 0.03 R (peer)
      expectAmount(member(out, "A").points, r.times("0.03").plus(100).plus(10).toFixed())
      expectAmount(d1.release.team, r.times("0.10").plus(10).toFixed())
      expectAmount(d1.release.forfeited, "0")
    }
  )
})
