import fc from "fast-check"
import {
  ConfigError,
  defaultProgramConfig,
  parseProgramConfig,
  programConfigSchema,
  serializeProgramConfig,
  type ProgramConfig,
} from "../config"
import { Dec } from "../decimal"

// ---------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------

type Json = Record<string, unknown>

const growth = (g: Json): Json => ({ schemes: { growth: g } })
const cycle = (c: Json): Json => ({ schemes: { cycle: c } })
const release = (r: Json): Json => ({ schemes: { release: r } })

/** Parses and expects a ConfigError; returns it. */
function reject(input: unknown): ConfigError {
  let caught: unknown
  try {
    parseProgramConfig(input)
  } catch (e) {
    caught = e
  }
  expect(caught).toBeInstanceOf(ConfigError)
  return caught as ConfigError
}

/** Expects a rejection whose first issue names exactly `field` and whose rule matches `rule`. */
function expectReject(input: unknown, field: string, rule: RegExp): ConfigError {
  const err = reject(input)
  expect({ field: err.field, rule: err.rule }).toEqual({ field, rule: expect.stringMatching(rule) })
  expect(err.message).toBe(`${field}: ${err.rule}`)
  return err
}

/** A decimal as a plain string, for comparisons. */
const s = (d: Dec): string => d.toFixed()

const RATE = /must be between 0 and 1/
const NON_NEGATIVE = /must be at least 0/
const POSITIVE = /must be greater than 0/
const PLAIN = /must be a decimal number in plain notation/
const JSON_INTEGER = /must be a JSON integer/
const UNKNOWN = /^unknown key$/

// ---------------------------------------------------------------------------------------
// defaults
// ---------------------------------------------------------------------------------------

const DOCUMENTED_DEFAULTS = {
  currency: "CNY",
  timezone: "Asia/Shanghai",
  scale: 4,
  pendingDays: 0,
  rewardCreditPayments: false,
  exchangeRates: {},
  creditMaxShare: "1",
  schemes: {
    growth: {
      enabled: false,
      poolRate: "0.3",
      buyerIssueRate: "0.7",
      referrerIssueRate: "0",
      initialPrice: "1",
      maxSupply: "100000000",
      sellFeeRate: "0.1",
      exitCapMultiple: "0",
      stableRate: "1",
    },
    cycle: {
      enabled: false,
      quotaMultiple: "2",
      weightUnit: "1000",
      referralQuotaRate: "0",
      referralWeightRate: "0",
      proRataPoolRate: "0.3",
      tiers: [
        { name: "V1", min: 50, max: 100, rate: "0.01" },
        { name: "V2", min: 101, max: 200, rate: "0.03" },
        { name: "V3", min: 201, max: 500, rate: "0.06" },
      ],
    },
    release: {
      enabled: false,
      levels: [
        { threshold: "3000", multiple: "2.5" },
        { threshold: "9000", multiple: "3" },
        { threshold: "27000", multiple: "3.5" },
        { threshold: "51000", multiple: "4" },
      ],
      dailyReleaseRate: "0.012",
      shareRates: ["0.5", "0.3"],
      maxShareDepth: 2,
      teamRewardsEnabled: false,
      teamLevels: [
        { name: "1★", threshold: "50000", rate: "0.1" },
        { name: "2★", threshold: "200000", rate: "0.2" },
        { name: "3★", threshold: "600000", rate: "0.26" },
        { name: "4★", threshold: "2000000", rate: "0.32" },
        { name: "5★", threshold: "6000000", rate: "0.38" },
        { name: "6★", threshold: "15000000", rate: "0.44" },
        { name: "7★", threshold: "30000000", rate: "0.5" },
      ],
      teamMaxDepth: null,
      peerRate: "0.03",
      pointValue: "1",
      pointsMaxShare: "1",
    },
  },
}

/** Every Dec inside a value, with its path. */
function decimalsIn(value: unknown, path = ""): Array<[string, unknown]> {
  if (value instanceof Dec) return [[path, value]]
  if (Array.isArray(value)) return value.flatMap((v, i) => decimalsIn(v, `${path}[${i}]`))
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => decimalsIn(v, path ? `${path}.${k}` : k))
  }
  return []
}

describe("defaults (RULES.md §1.9, tables of §2–§4)", () => {
  test("parse({}) gives the documented defaults", () => {
    expect(serializeProgramConfig(parseProgramConfig({}))).toEqual(DOCUMENTED_DEFAULTS)
  })

  test("undefined input means {}", () => {
    expect(parseProgramConfig(undefined)).toEqual(parseProgramConfig({}))
  })

  test("defaultProgramConfig() equals parse({}) and is a fresh object each call", () => {
    const a = defaultProgramConfig()
    expect(a).toEqual(parseProgramConfig({}))
    a.schemes.cycle.tiers.pop()
    a.schemes.release.shareRates.push(new Dec("0.1"))
    a.exchangeRates.USD = new Dec(7)
    const b = defaultProgramConfig()
    expect(b.schemes.cycle.tiers).toHaveLength(3)
    expect(b.schemes.release.shareRates).toHaveLength(2)
    expect(b.exchangeRates).toEqual({})
  })

  test("every decimal parameter is a Dec, typed values are what the tables say", () => {
    const cfg = defaultProgramConfig()
    const decs = decimalsIn(cfg)
    // 1 (creditMaxShare) + 8 growth + 5 cycle scalars + 3 tier rates
    // + 4×2 levels + 1 dailyReleaseRate + 2 shareRates + 7×2 teamLevels + 3 release scalars
    expect(decs).toHaveLength(1 + 8 + 5 + 3 + 8 + 1 + 2 + 14 + 3)
    expect(cfg.schemes.growth.poolRate).toBeInstanceOf(Dec)
    expect(cfg.schemes.growth.poolRate.eq("0.3")).toBe(true)
    expect(cfg.schemes.cycle.tiers[2]).toEqual({ name: "V3", min: 201, max: 500, rate: expect.any(Dec) })
    expect(cfg.schemes.release.levels[0].name).toBeUndefined()
    expect(cfg.schemes.release.teamMaxDepth).toBeNull()
    expect(cfg.schemes.growth.enabled || cfg.schemes.cycle.enabled || cfg.schemes.release.enabled).toBe(false)
  })

  test("omitted parameters of a given scheme keep their defaults", () => {
    const cfg = parseProgramConfig(growth({ enabled: true, poolRate: "0.5" }))
    expect(cfg.schemes.growth.enabled).toBe(true)
    expect(s(cfg.schemes.growth.poolRate)).toBe("0.5")
    expect(s(cfg.schemes.growth.buyerIssueRate)).toBe("0.7")
    expect(s(cfg.schemes.growth.sellFeeRate)).toBe("0.1")
    expect(cfg.schemes.cycle.enabled).toBe(false)
    expect(cfg.schemes.cycle.tiers).toHaveLength(3)
  })

  test("a list given replaces the default list entirely; an empty list is allowed", () => {
    const one = parseProgramConfig(cycle({ tiers: [{ min: 1, rate: "0.05" }] }))
    expect(one.schemes.cycle.tiers).toEqual([{ min: 1, max: null, rate: new Dec("0.05") }])
    expect(parseProgramConfig(cycle({ tiers: [] })).schemes.cycle.tiers).toEqual([])
    expect(parseProgramConfig(release({ levels: [] })).schemes.release.levels).toEqual([])
    expect(parseProgramConfig(release({ teamLevels: [] })).schemes.release.teamLevels).toEqual([])
    expect(parseProgramConfig(release({ shareRates: [] })).schemes.release.shareRates).toEqual([])
    const levels = parseProgramConfig(release({ levels: [{ name: "gold", threshold: "300", multiple: "2.5" }] }))
    expect(levels.schemes.release.levels.map((l) => [l.name, s(l.threshold), s(l.multiple)])).toEqual([
      ["gold", "300", "2.5"],
    ])
  })

  test("the SCENARIO.md example program is accepted", () => {
    const cfg = parseProgramConfig({
      currency: "CNY",
      timezone: "Asia/Shanghai",
      scale: 4,
      schemes: {
        growth: { enabled: true, poolRate: "0.30", buyerIssueRate: "0.70" },
        cycle: { enabled: true, tiers: [{ name: "V1", min: 1, max: null, rate: "0.05" }] },
        release: { enabled: true, levels: [{ threshold: "300", multiple: "2.5" }] },
      },
    })
    expect(cfg.schemes.cycle.tiers).toEqual([{ name: "V1", min: 1, max: null, rate: new Dec("0.05") }])
    expect(s(cfg.schemes.release.levels[0].threshold)).toBe("300")
    expect([cfg.schemes.growth.enabled, cfg.schemes.cycle.enabled, cfg.schemes.release.enabled]).toEqual([
      true,
      true,
      true,
    ])
  })

  test("the exported zod schema gives the same result", () => {
    const r = programConfigSchema.safeParse({ scale: 6 })
    expect(r.success).toBe(true)
    expect(r.success && r.data.scale).toBe(6)
    expect(programConfigSchema.safeParse({ scale: "6" }).success).toBe(false)
  })
})

// ---------------------------------------------------------------------------------------
// reading decimals
// ---------------------------------------------------------------------------------------

describe("decimal parameters", () => {
  const poolRate = (v: unknown) => parseProgramConfig(growth({ poolRate: v })).schemes.growth.poolRate

  test.each([
    ["0.5", "0.5"],
    ["0.50", "0.5"],
    ["0", "0"],
    ["-0", "0"],
    ["1", "1"],
    ["00.25", "0.25"],
    ["0.1234567890123456789012345678901234567890", "0.123456789012345678901234567890123456789"],
  ])("string %j reads as %s", (input, expected) => {
    const d = poolRate(input)
    expect(d).toBeInstanceOf(Dec)
    expect(s(d)).toBe(expected)
  })

  test("a JSON number reads as JSON.parse read it (shortest round-trip decimal)", () => {
    expect(s(poolRate(0.1))).toBe("0.1")
    expect(s(poolRate(0.3))).toBe("0.3")
    expect(s(poolRate(JSON.parse("0.30")))).toBe("0.3")
    expect(s(poolRate(-0))).toBe("0")
    const cfg = parseProgramConfig(JSON.parse('{"schemes":{"cycle":{"weightUnit":1e3}}}'))
    expect(s(cfg.schemes.cycle.weightUnit)).toBe("1000")
    const big = parseProgramConfig(growth({ maxSupply: 1e21 }))
    expect(s(big.schemes.growth.maxSupply)).toBe("1000000000000000000000")
  })

  test("no negative zero", () => {
    expect(poolRate("-0").isNegative()).toBe(false)
    expect(poolRate("-0.000").isNegative()).toBe(false)
    expect(poolRate(-0).isNegative()).toBe(false)
  })

  test.each([
    ["1e3"],
    ["1E3"],
    ["1e-1"],
    [""],
    [" 1"],
    ["1 "],
    ["abc"],
    [".5"],
    ["1."],
    ["+1"],
    ["0x10"],
    ["Infinity"],
    ["NaN"],
    ["1,5"],
    ["½"],
  ])("string %j is rejected (plain notation only)", (input) => {
    expectReject(growth({ poolRate: input }), "schemes.growth.poolRate", PLAIN)
  })

  test.each([[true], [false], [null], [[]], [["0.5"]], [{}], [Infinity], [NaN]])(
    "%j is not a decimal",
    (input) => {
      expectReject(growth({ poolRate: input }), "schemes.growth.poolRate", PLAIN)
    }
  )

  test("a required decimal of a list item is required", () => {
    expectReject(cycle({ tiers: [{ min: 1 }] }), "schemes.cycle.tiers[0].rate", /is required/)
    expectReject(release({ levels: [{ threshold: "1" }] }), "schemes.release.levels[0].multiple", /is required/)
    expectReject(release({ teamLevels: [{ rate: "0.1" }] }), "schemes.release.teamLevels[0].threshold", /is required/)
  })
})

// ---------------------------------------------------------------------------------------
// top level
// ---------------------------------------------------------------------------------------

describe("top-level parameters", () => {
  test("the configuration must be an object", () => {
    for (const input of [null, [], "x", 3, true]) expectReject(input, "config", /must be an object/)
  })

  test("currency: 3-letter uppercase code", () => {
    expect(parseProgramConfig({ currency: "USD" }).currency).toBe("USD")
    for (const bad of ["usd", "Usd", "US", "USDT", "U1D", "", " USD", 840, null]) {
      expectReject({ currency: bad }, "currency", /must be a 3-letter currency code/)
    }
  })

  test("timezone: an IANA zone name", () => {
    expect(parseProgramConfig({ timezone: "UTC" }).timezone).toBe("UTC")
    expect(parseProgramConfig({ timezone: "America/New_York" }).timezone).toBe("America/New_York")
    expect(parseProgramConfig({ timezone: "Etc/GMT-8" }).timezone).toBe("Etc/GMT-8")
    for (const bad of ["Mars/Olympus_Mons", "Asia/Shanghia", "", " Asia/Shanghai", "+08:00"]) {
      expectReject({ timezone: bad }, "timezone", /unknown time zone/)
    }
    expectReject({ timezone: 8 }, "timezone", /must be a string/)
    expectReject({ timezone: null }, "timezone", /must be a string/)
  })

  test("scale: JSON integer 0–18", () => {
    expect(parseProgramConfig({ scale: 0 }).scale).toBe(0)
    expect(parseProgramConfig({ scale: 18 }).scale).toBe(18)
    expect(parseProgramConfig({ scale: 4 }).scale).toBe(4)
    expect(parseProgramConfig(JSON.parse('{"scale":6.0}')).scale).toBe(6)
    expectReject({ scale: "4" }, "scale", JSON_INTEGER)
    expectReject({ scale: 4.5 }, "scale", JSON_INTEGER)
    expectReject({ scale: null }, "scale", JSON_INTEGER)
    expectReject({ scale: true }, "scale", JSON_INTEGER)
    expectReject({ scale: -1 }, "scale", /must be between 0 and 18/)
    expectReject({ scale: 19 }, "scale", /must be between 0 and 18/)
  })

  test("pendingDays: JSON integer ≥ 0", () => {
    expect(parseProgramConfig({ pendingDays: 0 }).pendingDays).toBe(0)
    expect(parseProgramConfig({ pendingDays: 14 }).pendingDays).toBe(14)
    expectReject({ pendingDays: "14" }, "pendingDays", JSON_INTEGER)
    expectReject({ pendingDays: 1.5 }, "pendingDays", JSON_INTEGER)
    expectReject({ pendingDays: -1 }, "pendingDays", NON_NEGATIVE)
    expectReject({ pendingDays: 2 ** 53 }, "pendingDays", /must be at most/)
  })

  test("rewardCreditPayments: boolean", () => {
    expect(parseProgramConfig({ rewardCreditPayments: true }).rewardCreditPayments).toBe(true)
    expectReject({ rewardCreditPayments: "true" }, "rewardCreditPayments", /must be true or false/)
    expectReject({ rewardCreditPayments: 1 }, "rewardCreditPayments", /must be true or false/)
  })

  test("exchangeRates: 3-letter code → rate > 0", () => {
    const cfg = parseProgramConfig({ exchangeRates: { USD: "7.1", EUR: 7.8, JPY: "0.048" } })
    expect(Object.keys(cfg.exchangeRates)).toEqual(["USD", "EUR", "JPY"])
    expect(cfg.exchangeRates.EUR).toBeInstanceOf(Dec)
    expect(s(cfg.exchangeRates.EUR)).toBe("7.8")
    expect(s(cfg.exchangeRates.JPY)).toBe("0.048")
    expectReject({ exchangeRates: { usd: "7" } }, "exchangeRates.usd", /must be a 3-letter currency code/)
    expectReject({ exchangeRates: { USDT: "7" } }, "exchangeRates.USDT", /must be a 3-letter currency code/)
    expectReject({ exchangeRates: { USD: "0" } }, "exchangeRates.USD", POSITIVE)
    expectReject({ exchangeRates: { USD: -1 } }, "exchangeRates.USD", POSITIVE)
    expectReject({ exchangeRates: { USD: "1e2" } }, "exchangeRates.USD", PLAIN)
    expectReject({ exchangeRates: { USD: null } }, "exchangeRates.USD", PLAIN)
    expect(s(parseProgramConfig({ exchangeRates: { USD: "0.0001" } }).exchangeRates.USD)).toBe("0.0001")
    expectReject({ exchangeRates: [] }, "exchangeRates", /must be an object/)
    expectReject({ exchangeRates: null }, "exchangeRates", /must be an object/)
    expectReject({ exchangeRates: "USD:7" }, "exchangeRates", /must be an object/)
  })

  test("every bad exchange rate is listed", () => {
    const err = reject({ exchangeRates: { usd: "7", EUR: "0", GBP: "9" } })
    expect(err.issues).toEqual([
      { field: "exchangeRates.usd", rule: expect.stringMatching(/3-letter/) },
      { field: "exchangeRates.EUR", rule: expect.stringMatching(POSITIVE) },
    ])
  })

  test("schemes and each scheme must be objects; enabled is a boolean", () => {
    expectReject({ schemes: [] }, "schemes", /must be an object/)
    expectReject({ schemes: null }, "schemes", /must be an object/)
    expectReject({ schemes: { cycle: [] } }, "schemes.cycle", /must be an object/)
    expectReject({ schemes: { release: "on" } }, "schemes.release", /must be an object/)
    expectReject(growth({ enabled: "yes" }), "schemes.growth.enabled", /must be true or false/)
    expectReject(release({ teamRewardsEnabled: "false" }), "schemes.release.teamRewardsEnabled", /true or false/)
    expect(parseProgramConfig(release({ enabled: true, teamRewardsEnabled: true })).schemes.release).toMatchObject({
      enabled: true,
      teamRewardsEnabled: true,
    })
  })
})

// ---------------------------------------------------------------------------------------
// rates, ≥ 0 and > 0 rules
// ---------------------------------------------------------------------------------------

/** [field path, input builder]; the builder puts the value where the field lives, with what keeps sums valid. */
const RATE_FIELDS: Array<[string, (v: unknown) => Json]> = [
  ["creditMaxShare", (v) => ({ creditMaxShare: v })],
  ["schemes.growth.poolRate", (v) => growth({ poolRate: v })],
  ["schemes.growth.buyerIssueRate", (v) => growth({ buyerIssueRate: v })],
  ["schemes.growth.referrerIssueRate", (v) => growth({ referrerIssueRate: v, buyerIssueRate: "0" })],
  ["schemes.growth.sellFeeRate", (v) => growth({ sellFeeRate: v })],
  ["schemes.cycle.proRataPoolRate", (v) => cycle({ proRataPoolRate: v, tiers: [] })],
  ["schemes.cycle.tiers[0].rate", (v) => cycle({ proRataPoolRate: "0", tiers: [{ min: 1, rate: v }] })],
  ["schemes.release.dailyReleaseRate", (v) => release({ dailyReleaseRate: v })],
  ["schemes.release.shareRates[1]", (v) => release({ shareRates: ["0.5", v] })],
  ["schemes.release.teamLevels[0].rate", (v) => release({ teamLevels: [{ threshold: "1", rate: v }] })],
  ["schemes.release.peerRate", (v) => release({ peerRate: v })],
  ["schemes.release.pointsMaxShare", (v) => release({ pointsMaxShare: v })],
]

/** Reads a field back from a parsed config by its path. */
function at(cfg: ProgramConfig, path: string): unknown {
  return path
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], cfg)
}

describe("rates lie in [0, 1]", () => {
  test.each(RATE_FIELDS)("%s accepts 0, 1 and 0.5", (field, build) => {
    for (const v of ["0", "1", 1, "0.5", 0.5, "1.000"]) {
      const got = at(parseProgramConfig(build(v)), field)
      expect(got).toBeInstanceOf(Dec)
      expect((got as Dec).eq(new Dec(String(v)))).toBe(true)
    }
  })

  test.each(RATE_FIELDS)("%s rejects values outside [0, 1]", (field, build) => {
    for (const v of ["1.0000001", 1.0000001, "2", "-0.0000001", -1]) {
      expectReject(build(v), field, RATE)
    }
  })
})

const NON_NEGATIVE_FIELDS: Array<[string, (v: unknown) => Json]> = [
  ["schemes.growth.maxSupply", (v) => growth({ maxSupply: v })],
  ["schemes.growth.exitCapMultiple", (v) => growth({ exitCapMultiple: v })],
  ["schemes.growth.stableRate", (v) => growth({ stableRate: v })],
  ["schemes.cycle.quotaMultiple", (v) => cycle({ quotaMultiple: v })],
  ["schemes.cycle.referralQuotaRate", (v) => cycle({ referralQuotaRate: v })],
  ["schemes.cycle.referralWeightRate", (v) => cycle({ referralWeightRate: v })],
  ["schemes.release.levels[0].multiple", (v) => release({ levels: [{ threshold: "1", multiple: v }] })],
  ["schemes.release.teamLevels[0].threshold", (v) => release({ teamLevels: [{ threshold: v, rate: "0.1" }] })],
  ["schemes.release.pointValue", (v) => release({ pointValue: v })],
]

describe("multiples, supply cap, stableRate, pointValue, referral rates, team thresholds are ≥ 0", () => {
  test.each(NON_NEGATIVE_FIELDS)("%s accepts 0 and values above 1", (field, build) => {
    for (const v of ["0", 0, "2.5", "1000000"]) {
      const got = at(parseProgramConfig(build(v)), field) as Dec
      expect(got.eq(new Dec(String(v)))).toBe(true)
    }
  })

  test.each(NON_NEGATIVE_FIELDS)("%s rejects negatives", (field, build) => {
    for (const v of ["-0.0001", -1]) expectReject(build(v), field, NON_NEGATIVE)
  })

  test("referral rates are not capped at 1", () => {
    const c = parseProgramConfig(cycle({ referralQuotaRate: "2", referralWeightRate: "1.5" })).schemes.cycle
    expect([s(c.referralQuotaRate), s(c.referralWeightRate)]).toEqual(["2", "1.5"])
  })
})

const POSITIVE_FIELDS: Array<[string, (v: unknown) => Json]> = [
  ["schemes.growth.initialPrice", (v) => growth({ initialPrice: v })],
  ["schemes.cycle.weightUnit", (v) => cycle({ weightUnit: v })],
  ["schemes.release.levels[0].threshold", (v) => release({ levels: [{ threshold: v, multiple: "2" }] })],
]

describe("initialPrice, weightUnit and level thresholds are > 0", () => {
  test.each(POSITIVE_FIELDS)("%s accepts small positive values", (field, build) => {
    for (const v of ["0.5", "0.001", 3000]) {
      const got = at(parseProgramConfig(build(v)), field) as Dec
      expect(got.eq(new Dec(String(v)))).toBe(true)
    }
  })

  test.each(POSITIVE_FIELDS)("%s rejects 0 and negatives", (field, build) => {
    for (const v of ["0", 0, "-0", "-1"]) expectReject(build(v), field, POSITIVE)
  })

  test("initialPrice is at least 0.000000000001 (the price is kept at 12 decimals)", () => {
    const ok = parseProgramConfig(growth({ initialPrice: "0.000000000001" })).schemes.growth.initialPrice
    expect(s(ok)).toBe("0.000000000001")
    expect(s(parseProgramConfig(growth({ initialPrice: "0.0000000000015" })).schemes.growth.initialPrice)).toBe(
      "0.0000000000015"
    )
    expectReject(growth({ initialPrice: "0.0000000000009" }), "schemes.growth.initialPrice", /12 decimals/)
    expectReject(growth({ initialPrice: 1e-13 }), "schemes.growth.initialPrice", /at least 0\.000000000001/)
  })
})

// ---------------------------------------------------------------------------------------
// sums (§2, §3)
// ---------------------------------------------------------------------------------------

describe("growth: buyerIssueRate + referrerIssueRate ≤ 1", () => {
  test("a sum of exactly 1 is accepted", () => {
    const g = parseProgramConfig(growth({ buyerIssueRate: "0.7", referrerIssueRate: "0.3" })).schemes.growth
    expect([s(g.buyerIssueRate), s(g.referrerIssueRate)]).toEqual(["0.7", "0.3"])
    expect(parseProgramConfig(growth({ buyerIssueRate: 1, referrerIssueRate: 0 })).schemes.growth.buyerIssueRate.eq(1)).toBe(
      true
    )
  })

  test("a sum above 1 is rejected, naming the field and the sum rule", () => {
    const err = expectReject(
      growth({ buyerIssueRate: "0.7", referrerIssueRate: "0.3000001" }),
      "schemes.growth.referrerIssueRate",
      /buyerIssueRate \+ referrerIssueRate must not exceed 1/
    )
    expect(err.rule).toContain("1.0000001")
    expectReject(
      growth({ buyerIssueRate: "1", referrerIssueRate: "0.01" }),
      "schemes.growth.referrerIssueRate",
      /must not exceed 1/
    )
    // the default buyer rate (0.70) counts
    expectReject(growth({ referrerIssueRate: "0.31" }), "schemes.growth.referrerIssueRate", /must not exceed 1/)
  })
})

describe("cycle: proRataPoolRate + Σ tier rates ≤ 1", () => {
  test("a sum of exactly 1 is accepted (default tiers sum to 0.10)", () => {
    const c = parseProgramConfig(cycle({ proRataPoolRate: "0.9" })).schemes.cycle
    expect(s(c.proRataPoolRate)).toBe("0.9")
    expect(
      parseProgramConfig(cycle({ proRataPoolRate: "1", tiers: [] })).schemes.cycle.proRataPoolRate.eq(1)
    ).toBe(true)
  })

  test("a sum above 1 is rejected", () => {
    expectReject(cycle({ proRataPoolRate: "0.9000001" }), "schemes.cycle.proRataPoolRate", /must not exceed 1/)
    expectReject(
      cycle({
        proRataPoolRate: "0.5",
        tiers: [
          { min: 0, max: 9, rate: "0.3" },
          { min: 10, rate: "0.3" },
        ],
      }),
      "schemes.cycle.proRataPoolRate",
      /proRataPoolRate \+ the sum of the tier rates must not exceed 1 \(the sum is 1\.1\)/
    )
  })
})

// ---------------------------------------------------------------------------------------
// tiers
// ---------------------------------------------------------------------------------------

const tiers = (...list: Json[]): Json => cycle({ proRataPoolRate: "0", tiers: list })

describe("cycle tiers", () => {
  test("bounds are integers ≥ 0 given as JSON integers or integer strings", () => {
    const [t] = parseProgramConfig(tiers({ min: "50", max: "100", rate: "0.01" })).schemes.cycle.tiers
    expect(t).toEqual({ min: 50, max: 100, rate: new Dec("0.01") })
    const [u] = parseProgramConfig(tiers({ min: 0, max: 0, rate: 0 })).schemes.cycle.tiers
    expect([u.min, u.max]).toEqual([0, 0])
  })

  test("max absent or null = no upper bound", () => {
    const list = parseProgramConfig(tiers({ min: 10, rate: "0.1" }, { min: 0, max: 9, rate: "0.1" })).schemes.cycle
      .tiers
    expect(list.map((t) => t.max)).toEqual([null, 9])
    expect(parseProgramConfig(tiers({ min: 10, max: null, rate: "0.1" })).schemes.cycle.tiers[0].max).toBeNull()
  })

  test.each([["5.5"], [5.5], ["1e3"], [""], [" 5"], [true], [[]], [{}]])("min %j is rejected", (v) => {
    expectReject(tiers({ min: v, rate: "0.1" }), "schemes.cycle.tiers[0].min", /must be an integer/)
  })

  test.each([["5.5"], [5.5], ["1e3"], [false]])("max %j is rejected", (v) => {
    expectReject(tiers({ min: 1, max: v, rate: "0.1" }), "schemes.cycle.tiers[0].max", /must be an integer/)
  })

  test("negative and unsafe bounds are rejected; min is required", () => {
    expectReject(tiers({ min: -1, rate: "0.1" }), "schemes.cycle.tiers[0].min", NON_NEGATIVE)
    expectReject(tiers({ min: "-1", rate: "0.1" }), "schemes.cycle.tiers[0].min", NON_NEGATIVE)
    expectReject(tiers({ min: 0, max: -5, rate: "0.1" }), "schemes.cycle.tiers[0].max", NON_NEGATIVE)
    expectReject(tiers({ min: "9007199254740992", rate: "0.1" }), "schemes.cycle.tiers[0].min", /at most/)
    expectReject(tiers({ min: 2 ** 53, rate: "0.1" }), "schemes.cycle.tiers[0].min", /at most/)
    expect(parseProgramConfig(tiers({ min: "9007199254740991", rate: "0.1" })).schemes.cycle.tiers[0].min).toBe(
      Number.MAX_SAFE_INTEGER
    )
    expectReject(tiers({ max: 5, rate: "0.1" }), "schemes.cycle.tiers[0].min", /is required/)
  })

  test("max ≥ min", () => {
    expect(parseProgramConfig(tiers({ min: 7, max: 7, rate: "0.1" })).schemes.cycle.tiers[0].max).toBe(7)
    expectReject(tiers({ min: 7, max: 6, rate: "0.1" }), "schemes.cycle.tiers[0].max", /must be at least min \(7\)/)
    expectReject(
      tiers({ min: 0, max: 5, rate: "0.1" }, { min: "100", max: "99", rate: "0.1" }),
      "schemes.cycle.tiers[1].max",
      /at least min/
    )
  })

  test("adjacent and unordered ranges that do not overlap are accepted, order kept", () => {
    const list = parseProgramConfig(
      tiers({ min: 201, max: 500, rate: "0.06" }, { min: 50, max: 100, rate: "0.01" }, { min: 101, max: 200, rate: "0.03" })
    ).schemes.cycle.tiers
    expect(list.map((t) => t.min)).toEqual([201, 50, 101])
    expect(parseProgramConfig(tiers({ min: 0, max: 49, rate: "0.1" }, { min: 50, rate: "0.1" })).schemes.cycle.tiers).toHaveLength(2)
  })

  test("overlapping ranges are rejected", () => {
    expectReject(
      tiers({ min: 50, max: 100, rate: "0.01" }, { min: 100, max: 200, rate: "0.01" }),
      "schemes.cycle.tiers[1].min",
      /^tier ranges overlap \(tiers\[0\] is 50–100\)$/
    )
    // the later tier reaches into the earlier one from below
    expectReject(
      tiers({ min: 50, max: 100, rate: "0.01" }, { min: 10, max: 50, rate: "0.01" }),
      "schemes.cycle.tiers[1].max",
      /tier ranges overlap \(tiers\[0\] is 50–100\)/
    )
    // containment
    expectReject(
      tiers({ min: 50, max: 100, rate: "0.01" }, { min: 60, max: 70, rate: "0.01" }),
      "schemes.cycle.tiers[1].min",
      /tier ranges overlap/
    )
    // a pair that is not adjacent in the list
    expectReject(
      tiers({ min: 0, max: 10, rate: "0.01" }, { min: 20, max: 30, rate: "0.01" }, { min: 5, max: 6, rate: "0.01" }),
      "schemes.cycle.tiers[2].min",
      /tiers\[0\] is 0–10/
    )
    // identical ranges
    expectReject(
      tiers({ min: 1, max: 1, rate: "0.01" }, { min: 1, max: 1, rate: "0.01" }),
      "schemes.cycle.tiers[1].min",
      /tier ranges overlap/
    )
  })

  test("an unbounded max counts as infinity", () => {
    expectReject(
      tiers({ min: 50, rate: "0.01" }, { min: 1000, max: 2000, rate: "0.01" }),
      "schemes.cycle.tiers[1].min",
      /tier ranges overlap \(tiers\[0\] is 50 and above\)/
    )
    expectReject(
      tiers({ min: 1000, max: 2000, rate: "0.01" }, { min: 50, max: null, rate: "0.01" }),
      "schemes.cycle.tiers[1].max",
      /tiers\[0\] is 1000–2000/
    )
    expectReject(
      tiers({ min: 5, rate: "0.01" }, { min: 9, rate: "0.01" }),
      "schemes.cycle.tiers[1].min",
      /tier ranges overlap/
    )
  })

  test("a tier list must be a list of objects; name is a string", () => {
    expectReject(cycle({ tiers: { min: 1, rate: "0.1" } }), "schemes.cycle.tiers", /must be a list/)
    expectReject(cycle({ tiers: [5] }), "schemes.cycle.tiers[0]", /must be an object/)
    expectReject(tiers({ name: 5, min: 1, rate: "0.1" }), "schemes.cycle.tiers[0].name", /must be a string/)
    expectReject(tiers({ name: null, min: 1, rate: "0.1" }), "schemes.cycle.tiers[0].name", /must be a string/)
    expect(parseProgramConfig(tiers({ name: "", min: 1, rate: "0.1" })).schemes.cycle.tiers[0].name).toBe("")
  })
})

// ---------------------------------------------------------------------------------------
// release lists and integers
// ---------------------------------------------------------------------------------------

describe("release levels and team levels", () => {
  const levels = (...list: Array<[unknown, unknown]>): Json =>
    release({ levels: list.map(([threshold, multiple]) => ({ threshold, multiple })) })
  const team = (...list: unknown[]): Json =>
    release({ teamLevels: list.map((threshold) => ({ threshold, rate: "0.1" })) })

  test("strictly increasing level thresholds are accepted", () => {
    const r = parseProgramConfig(levels(["1", "2"], ["1.5", "3"], [1000, 4])).schemes.release
    expect(r.levels.map((l) => s(l.threshold))).toEqual(["1", "1.5", "1000"])
  })

  test("level thresholds must strictly increase", () => {
    expectReject(
      levels(["3000", "2.5"], ["3000", "3"]),
      "schemes.release.levels[1].threshold",
      /^thresholds must strictly increase \(levels\[0\] is 3000\)$/
    )
    expectReject(levels(["3000", "2.5"], ["9000", "3"], ["8999.99", "3.5"]), "schemes.release.levels[2].threshold", /strictly increase/)
  })

  test("team-level thresholds are ≥ 0 and strictly increase", () => {
    expect(parseProgramConfig(team("0", "1", "2")).schemes.release.teamLevels.map((l) => s(l.threshold))).toEqual([
      "0",
      "1",
      "2",
    ])
    expectReject(team("0", "10", "10"), "schemes.release.teamLevels[2].threshold", /thresholds must strictly increase/)
    expectReject(team("50000", "20000"), "schemes.release.teamLevels[1].threshold", /strictly increase \(teamLevels\[0\] is 50000\)/)
    expectReject(team("-1", "10"), "schemes.release.teamLevels[0].threshold", NON_NEGATIVE)
  })

  test("every broken pair is reported", () => {
    const err = reject(release({ levels: [{ threshold: 3, multiple: 1 }, { threshold: 2, multiple: 1 }], teamLevels: [{ threshold: 5, rate: 0 }, { threshold: 5, rate: 0 }] }))
    expect(err.issues.map((i) => i.field)).toEqual([
      "schemes.release.levels[1].threshold",
      "schemes.release.teamLevels[1].threshold",
    ])
  })

  test("names are optional strings", () => {
    const r = parseProgramConfig(
      release({ levels: [{ name: "VIP", threshold: "1", multiple: "2" }], teamLevels: [{ threshold: "1", rate: "0.1" }] })
    ).schemes.release
    expect(r.levels[0].name).toBe("VIP")
    expect(r.teamLevels[0].name).toBeUndefined()
    expectReject(
      release({ teamLevels: [{ name: 1, threshold: "1", rate: "0.1" }] }),
      "schemes.release.teamLevels[0].name",
      /must be a string/
    )
  })

  test("shareRates is a list of rates", () => {
    const r = parseProgramConfig(release({ shareRates: ["0.2", 0.1, "0.05"] })).schemes.release
    expect(r.shareRates.map(s)).toEqual(["0.2", "0.1", "0.05"])
    expectReject(release({ shareRates: "0.5" }), "schemes.release.shareRates", /must be a list/)
    expectReject(release({ shareRates: ["0.5", "1e-1"] }), "schemes.release.shareRates[1]", PLAIN)
  })
})

describe("depth integers", () => {
  test("maxShareDepth: JSON integer ≥ 0", () => {
    expect(parseProgramConfig(release({ maxShareDepth: 0 })).schemes.release.maxShareDepth).toBe(0)
    expect(parseProgramConfig(release({ maxShareDepth: 5 })).schemes.release.maxShareDepth).toBe(5)
    expectReject(release({ maxShareDepth: "2" }), "schemes.release.maxShareDepth", JSON_INTEGER)
    expectReject(release({ maxShareDepth: 2.5 }), "schemes.release.maxShareDepth", JSON_INTEGER)
    expectReject(release({ maxShareDepth: null }), "schemes.release.maxShareDepth", JSON_INTEGER)
    expectReject(release({ maxShareDepth: -1 }), "schemes.release.maxShareDepth", NON_NEGATIVE)
  })

  test("teamMaxDepth: JSON integer ≥ 0 or null", () => {
    expect(parseProgramConfig(release({ teamMaxDepth: null })).schemes.release.teamMaxDepth).toBeNull()
    expect(parseProgramConfig(release({ teamMaxDepth: 0 })).schemes.release.teamMaxDepth).toBe(0)
    expect(parseProgramConfig(release({ teamMaxDepth: 3 })).schemes.release.teamMaxDepth).toBe(3)
    expectReject(release({ teamMaxDepth: "3" }), "schemes.release.teamMaxDepth", JSON_INTEGER)
    expectReject(release({ teamMaxDepth: 2.5 }), "schemes.release.teamMaxDepth", JSON_INTEGER)
    expectReject(release({ teamMaxDepth: -1 }), "schemes.release.teamMaxDepth", NON_NEGATIVE)
  })
})

// ---------------------------------------------------------------------------------------
// unknown keys
// ---------------------------------------------------------------------------------------

describe("unknown keys are rejected, naming the key", () => {
  test.each<[string, Json]>([
    ["poolRate", { poolRate: "0.3" }],
    ["Currency", { Currency: "CNY" }],
    ["schemes.loyalty", { schemes: { loyalty: {} } }],
    ["schemes.growth.poolrate", growth({ poolrate: "0.3" })],
    ["schemes.cycle.tier", cycle({ tier: [] })],
    ["schemes.release.teamRewards", release({ teamRewards: true })],
    ["schemes.cycle.tiers[1].weight", tiers({ min: 0, max: 1, rate: "0" }, { min: 2, rate: "0", weight: 3 })],
    ["schemes.release.levels[0].rate", release({ levels: [{ threshold: "1", multiple: "2", rate: "0.1" }] })],
    ["schemes.release.teamLevels[0].star", release({ teamLevels: [{ threshold: "1", rate: "0.1", star: 1 }] })],
  ])("%s", (field, input) => {
    expectReject(input, field, UNKNOWN)
  })

  test("the same keys spelled right are accepted", () => {
    expect(() =>
      parseProgramConfig({
        currency: "CNY",
        schemes: {
          growth: { poolRate: "0.3" },
          cycle: { tiers: [] },
          release: { teamRewardsEnabled: true, levels: [{ threshold: "1", multiple: "2" }] },
        },
      })
    ).not.toThrow()
  })

  test("every unknown key at every depth is listed", () => {
    const err = reject({ foo: 1, bar: 2, schemes: { growth: { x: 1 }, cycle: { tiers: [{ min: 1, rate: "0", y: 1 }] } } })
    const fields = err.issues.map((i) => i.field).sort()
    expect(fields).toEqual(["bar", "foo", "schemes.cycle.tiers[0].y", "schemes.growth.x"])
    expect(err.issues.every((i) => i.rule === "unknown key")).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------
// ConfigError
// ---------------------------------------------------------------------------------------

describe("ConfigError", () => {
  test("field, rule, message and all issues", () => {
    const err = reject({ scale: "4", currency: "cny", schemes: { growth: { poolRate: "2" } } })
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe("ConfigError")
    expect(err.issues).toEqual([
      { field: "currency", rule: expect.stringMatching(/3-letter/) },
      { field: "scale", rule: "must be a JSON integer" },
      { field: "schemes.growth.poolRate", rule: "must be between 0 and 1" },
    ])
    expect(err.field).toBe(err.issues[0].field)
    expect(err.rule).toBe(err.issues[0].rule)
    expect(err.message).toBe(`currency: ${err.rule}`)
  })

  test("the example message of the brief", () => {
    const err = reject(cycle({ tiers: [{ min: 50, max: 100, rate: "0.01" }, { min: 60, max: 80, rate: "0.01" }] }))
    expect(err.message).toBe("schemes.cycle.tiers[1].min: tier ranges overlap (tiers[0] is 50–100)")
  })
})

// ---------------------------------------------------------------------------------------
// serialization
// ---------------------------------------------------------------------------------------

const CUSTOM = {
  currency: "USD",
  timezone: "America/New_York",
  scale: 6,
  pendingDays: 7,
  rewardCreditPayments: true,
  exchangeRates: { CNY: "0.14", EUR: 1.08 },
  creditMaxShare: "0.5",
  schemes: {
    growth: { enabled: true, initialPrice: "0.000000000001", maxSupply: 1e21, referrerIssueRate: "0.1" },
    cycle: {
      enabled: true,
      tiers: [
        { min: "0", max: "9", rate: "0.05" },
        { name: "top", min: 10, max: null, rate: "0.10" },
      ],
    },
    release: {
      enabled: true,
      levels: [{ name: "L1", threshold: "300", multiple: "2.5" }],
      shareRates: [],
      maxShareDepth: 0,
      teamRewardsEnabled: true,
      teamLevels: [{ threshold: "0", rate: "0.1" }],
      teamMaxDepth: 4,
    },
  },
}

describe("serializeProgramConfig", () => {
  test("produces plain JSON with decimals as plain strings", () => {
    const out = serializeProgramConfig(parseProgramConfig(CUSTOM))
    expect(JSON.parse(JSON.stringify(out))).toEqual(out)
    const schemes = out.schemes as { growth: Json; cycle: { tiers: Json[] }; release: Json }
    expect(schemes.growth.initialPrice).toBe("0.000000000001")
    expect(schemes.growth.maxSupply).toBe("1000000000000000000000")
    expect(out.exchangeRates).toEqual({ CNY: "0.14", EUR: "1.08" })
    expect(schemes.cycle.tiers).toEqual([
      { min: 0, max: 9, rate: "0.05" },
      { name: "top", min: 10, max: null, rate: "0.1" },
    ])
    expect(schemes.release.teamMaxDepth).toBe(4)
    expect(schemes.release.shareRates).toEqual([])
  })

  test("round-trips the defaults and a custom config", () => {
    for (const input of [{}, CUSTOM]) {
      const cfg = parseProgramConfig(input)
      const again = parseProgramConfig(JSON.parse(JSON.stringify(serializeProgramConfig(cfg))))
      expect(again).toEqual(cfg)
      expect(serializeProgramConfig(again)).toEqual(serializeProgramConfig(cfg))
    }
  })

  test("round-trips random valid configurations", () => {
    const digits = fc.integer({ min: 0, max: 10 ** 6 })
    const rateStr = digits.map((n) => new Dec(n).div(10 ** 6).toFixed())
    const nonNeg = fc.tuple(digits, fc.integer({ min: 0, max: 8 })).map(([n, k]) => new Dec(n).div(10 ** k).toFixed())
    const positive = nonNeg.map((v) => new Dec(v).plus("0.001").toFixed())
    const ascending = (n: number) =>
      fc.array(fc.integer({ min: 1, max: 10 ** 6 }), { maxLength: n }).map((steps) => {
        let acc = new Dec(0)
        return steps.map((step) => (acc = acc.plus(new Dec(step).div(100))).toFixed())
      })
    const tierList = fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 4 }).map((parts) => {
      let next = 0
      return parts.map(([width, open], i) => {
        const min = next
        const max = open && i === parts.length - 1 ? null : min + width
        next = (max ?? min) + 1
        return { min, max, rate: "0.01" }
      })
    })
    const arb = fc.record({
      currency: fc.constantFrom("CNY", "USD", "EUR"),
      scale: fc.integer({ min: 0, max: 18 }),
      pendingDays: fc.integer({ min: 0, max: 60 }),
      creditMaxShare: rateStr,
      exchangeRates: fc.dictionary(fc.constantFrom("USD", "EUR", "JPY"), positive),
      schemes: fc.record({
        growth: fc.record({
          enabled: fc.boolean(),
          poolRate: rateStr,
          buyerIssueRate: fc.constantFrom("0.7", "0.5", "0"),
          referrerIssueRate: fc.constantFrom("0.3", "0.1", "0"),
          initialPrice: positive,
          maxSupply: nonNeg,
          exitCapMultiple: nonNeg,
        }),
        cycle: fc.record({
          quotaMultiple: nonNeg,
          weightUnit: positive,
          referralQuotaRate: nonNeg,
          proRataPoolRate: fc.constantFrom("0.3", "0.96", "0"),
          tiers: tierList,
        }),
        release: fc.record({
          levels: ascending(5).map((ts) => ts.map((threshold) => ({ threshold, multiple: "2" }))),
          teamLevels: ascending(7).map((ts) => ts.map((threshold) => ({ name: `${threshold}★`, threshold, rate: "0.2" }))),
          shareRates: fc.array(rateStr, { maxLength: 4 }),
          maxShareDepth: fc.integer({ min: 0, max: 9 }),
          teamMaxDepth: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null }),
          pointValue: nonNeg,
        }),
      }),
    })
    fc.assert(
      fc.property(arb, (input) => {
        const cfg = parseProgramConfig(input)
        const json = serializeProgramConfig(cfg)
        const again = parseProgramConfig(JSON.parse(JSON.stringify(json)))
        expect(again).toEqual(cfg)
        expect(serializeProgramConfig(again)).toEqual(json)
        // the serialized decimals are exactly the parsed values
        expect((json.schemes as { growth: Json }).growth.initialPrice).toBe(cfg.schemes.growth.initialPrice.toFixed())
        expect(cfg.schemes.growth.initialPrice.eq(input.schemes.growth.initialPrice)).toBe(true)
      }),
      { numRuns: 100 }
    )
  })
})
