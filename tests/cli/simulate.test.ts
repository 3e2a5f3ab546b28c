/**
 * `medusa-rewards simulate` end to end (SCENARIO.md): a handful of real processes through
 * bin/medusa-rewards.js (file and stdin, success and each kind of failure), and every other
 * case in-process through `main(args, io)` of src/cli/index.ts — the same code path the bin
 * runs, with the file read from disk and the streams captured.
 *
 * The contract: exit 0 and the result JSON on stdout (nothing on stderr); or exit 2, nothing
 * on stdout and exactly one line on stderr that names the offending field or event.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { main } from "../../src/cli/index"
import { EXAMPLES, normalise, readJson } from "../helpers"

const ROOT = join(__dirname, "..", "..")
const BIN = join(ROOT, "bin", "medusa-rewards.js")
const EXAMPLE_INPUT = join(EXAMPLES, "scenarios", "scenario-md-example.json")
const EXAMPLE_OUTPUT = join(EXAMPLES, "expected", "scenario-md-example.json")

/** A spawn costs a TypeScript start-up (tsx), more on a loaded machine. */
const SPAWN_TIMEOUT = 60_000

interface Result {
  status: number | null
  stdout: string
  stderr: string
}

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "medusa-rewards-simulate-"))
})
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

let fileNo = 0
/** Writes a scenario (an object, or raw text as is) to the temp dir; returns its path. */
function write(doc: unknown): string {
  const path = join(dir, `scenario-${++fileNo}.json`)
  writeFileSync(path, typeof doc === "string" ? doc : JSON.stringify(doc, null, 2))
  return path
}

/** The real command: `node bin/medusa-rewards.js …args`, optionally with stdin. */
function spawnCli(args: string[], input?: string): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    input: input ?? "",
    encoding: "utf8",
    timeout: SPAWN_TIMEOUT,
  })
  if (r.error) throw r.error
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** The same entry point in-process, reading files from disk. */
async function runMain(args: string[], stdin = ""): Promise<Result> {
  let stdout = ""
  let stderr = ""
  const status = await main(args, {
    stdout: (s) => {
      stdout += s
    },
    stderr: (s) => {
      stderr += s
    },
    readFile: (p) => readFileSync(p, "utf8"),
    readStdin: () => stdin,
  })
  return { status, stdout, stderr }
}

/** Runs a scenario document in-process. */
function simulate(doc: unknown): Promise<Result> {
  return runMain(["simulate", write(doc)])
}

function expectSuccess(r: Result): Record<string, unknown> {
  expect(r.stderr).toBe("")
  expect(r.status).toBe(0)
  const out = JSON.parse(r.stdout) as Record<string, unknown>
  expect(out.invariants).toEqual({ ok: true, violations: [] })
  return out
}

/**
 * Exit 2, stdout exactly empty, stderr exactly one non-empty line ending in a single
 * newline, which mentions each of `mentions` (the offending field / event).
 */
function expectInvalid(r: Result, ...mentions: (string | RegExp)[]): void {
  expect(r.stdout).toBe("")
  expect(r.stderr).toMatch(/^[^\n]*\S[^\n]*\n$/)
  for (const m of mentions) expect(r.stderr).toMatch(typeof m === "string" ? new RegExp(escape(m)) : m)
  expect(r.status).toBe(2)
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
}

const D1 = "2026-01-01"
const D2 = "2026-01-02"
const D3 = "2026-01-03"

const ALL_ON = {
  currency: "CNY",
  scale: 4,
  schemes: { growth: { enabled: true }, cycle: { enabled: true }, release: { enabled: true } },
}
const GROWTH_ON = { schemes: { growth: { enabled: true } } }

const join_ = (day: string, member: string, referrer: string | null = null) => ({ type: "join", day, member, referrer })
const order = (day: string, id: string, member: string, amount: unknown) => ({ type: "order", day, id, member, amount })
const refund = (day: string, orderId: string, amount?: unknown) =>
  amount === undefined ? { type: "refund", day, order: orderId } : { type: "refund", day, order: orderId, amount }
const sell = (day: string, member: string, points: unknown) => ({ type: "sell", day, member, points })
const convert = (day: string, member: string, points: unknown) => ({ type: "convert", day, member, points })
const adjust = (day: string, member: string, asset: string, amount: unknown, reason: unknown = "goodwill") => ({
  type: "adjust",
  day,
  member,
  asset,
  amount,
  reason,
})
const closeDay = (day: string) => ({ type: "closeDay", day })

const doc = (program: unknown, events: unknown[]) => ({ program, events })

describe("simulate as a real process (bin/medusa-rewards.js)", () => {
  const expected = normalise(readJson(EXAMPLE_OUTPUT))

  it("runs the SCENARIO.md example from a file: exit 0, the expected JSON on stdout, nothing on stderr", () => {
    const r = spawnCli(["simulate", EXAMPLE_INPUT])
    expect(r.stderr).toBe("")
    expect(r.status).toBe(0)
    expect(normalise(JSON.parse(r.stdout))).toEqual(expected)
  }, SPAWN_TIMEOUT)

  it("runs the SCENARIO.md example from stdin (`simulate -`) with the same result", () => {
    const r = spawnCli(["simulate", "-"], readFileSync(EXAMPLE_INPUT, "utf8"))
    expect(r.stderr).toBe("")
    expect(r.status).toBe(0)
    expect(normalise(JSON.parse(r.stdout))).toEqual(expected)
  }, SPAWN_TIMEOUT)

  it("rejects bad JSON: exit 2, one line on stderr, nothing on stdout", () => {
    expectInvalid(spawnCli(["simulate", write('{ "program": {}, "events": [ ')]), /JSON/)
  }, SPAWN_TIMEOUT)

  it("rejects an invalid program (poolRate 1.5): exit 2, one line naming poolRate", () => {
    const path = write(doc({ schemes: { growth: { enabled: true, poolRate: "1.5" } } }, []))
    expectInvalid(spawnCli(["simulate", path]), "poolRate")
  }, SPAWN_TIMEOUT)

  it("rejects an invalid event on stdin (order by a member that never joined): exit 2, one line naming the event", () => {
    const text = JSON.stringify(doc(ALL_ON, [join_(D1, "A"), order(D1, "o1", "X", "100")]))
    expectInvalid(spawnCli(["simulate", "-"], text), "events[1]", "X")
  }, SPAWN_TIMEOUT)

  it("rejects a missing file: exit 2, one line naming the file", () => {
    const missing = join(dir, "does-not-exist.json")
    expectInvalid(spawnCli(["simulate", missing]), "does-not-exist.json")
  }, SPAWN_TIMEOUT)
})

describe("simulate in-process (main): valid scenarios", () => {
  it("prints the SCENARIO.md example's expected output, from a file and from stdin", async () => {
    const expected = normalise(readJson(EXAMPLE_OUTPUT))
    const fromFile = await runMain(["simulate", EXAMPLE_INPUT])
    expect(normalise(expectSuccess(fromFile))).toEqual(expected)
    const fromStdin = await runMain(["simulate", "-"], readFileSync(EXAMPLE_INPUT, "utf8"))
    expect(normalise(expectSuccess(fromStdin))).toEqual(expected)
  })

  it("treats a missing program as {} (all defaults, every scheme off): a join and an order work", async () => {
    const events = [join_(D1, "A"), order(D1, "o1", "A", "100"), closeDay(D1)]
    const out = expectSuccess(await simulate({ events }))
    expect(out).toEqual(expectSuccess(await simulate(doc({}, events))))
    const members = out.members as Record<string, Record<string, unknown>>
    expect(Object.keys(members)).toEqual(["A"])
    expect(members.A.level).toBeNull()
    expect(members.A.starLevel).toBe(0)
    expect(normalise(members.A)).toMatchObject({ growth: "0", credit: "0", quota: "0", weight: "0", pointsLocked: "0" })
    expect(normalise(out.days)).toEqual([
      {
        day: D1,
        sales: "100",
        cycle: { proRataPool: "0", tierPools: [], paid: "0", returned: "0" },
        release: { base: "0", share: "0", team: "0", peer: "0", forfeited: "0" },
      },
    ])
  })

  it("accepts name, description and unknown keys inside an event", async () => {
    const base = [join_(D1, "A"), order(D1, "o1", "A", "100")]
    const plain = expectSuccess(await simulate(doc(GROWTH_ON, base)))
    const decorated = {
      name: "n",
      description: "d",
      program: GROWTH_ON,
      events: [{ ...base[0], note: "x" }, { ...base[1], channel: { web: true } }],
    }
    expect(expectSuccess(await simulate(decorated))).toEqual(plain)
  })

  it("reads JSON numbers as JSON.parse does: 1e3 is 1000 and 4.0 is 4, the same as the strings", async () => {
    const events = (amount: string, points: string) =>
      `[
        { "type": "join", "day": "${D1}", "member": "A", "referrer": null },
        { "type": "order", "day": "${D1}", "id": "o1", "member": "A", "amount": ${amount} },
        { "type": "sell", "day": "${D1}", "member": "A", "points": ${points} },
        { "type": "adjust", "day": "${D1}", "member": "A", "asset": "CREDIT", "amount": ${points}, "reason": "r" }
      ]`
    const program = JSON.stringify(ALL_ON)
    const asNumbers = expectSuccess(await simulate(`{ "program": ${program}, "events": ${events("1e3", "4.0")} }`))
    const asStrings = expectSuccess(await simulate(`{ "program": ${program}, "events": ${events('"1000"', '"4"')} }`))
    expect(normalise(asNumbers)).toEqual(normalise(asStrings))
    // 1000 × 0.30 × 0.70 ÷ 1 = 210 growth points, 4 of them sold
    expect(normalise((asNumbers.members as Record<string, unknown>).A)).toMatchObject({ growth: "206", quota: "2000" })
  })

  it("records an order of 0 (it takes its id and grants nothing)", async () => {
    const out = expectSuccess(await simulate(doc(ALL_ON, [join_(D1, "A"), order(D1, "o0", "A", "0"), closeDay(D1)])))
    expect(normalise((out.members as Record<string, unknown>).A)).toMatchObject({
      growth: "0",
      quota: "0",
      weight: "0",
      pointsLocked: "0",
    })
    expect(normalise(out.days)).toMatchObject([{ day: D1, sales: "0" }])
  })

  it("refunds what is still unrefunded when a refund has no amount", async () => {
    const head = [join_(D1, "A"), order(D1, "o1", "A", "1000"), refund(D1, "o1", "300")]
    const rest = expectSuccess(await simulate(doc(ALL_ON, [...head, refund(D1, "o1"), closeDay(D1)])))
    const explicit = expectSuccess(await simulate(doc(ALL_ON, [...head, refund(D1, "o1", "700"), closeDay(D1)])))
    expect(rest).toEqual(explicit)
    expect(normalise((rest.members as Record<string, unknown>).A)).toMatchObject({ growth: "0", quota: "0", weight: "0" })
    expect(normalise(rest.days)).toMatchObject([{ day: D1, sales: "0" }])
    // nothing is left: any further amount is above what is unrefunded
    expectInvalid(
      await simulate(doc(ALL_ON, [...head, refund(D1, "o1"), refund(D1, "o1", "0.0001")])),
      "events[4]",
      "amount"
    )
  })

  it("treats a zero sell or convert with growth enabled as a no-op", async () => {
    const base = [join_(D1, "A"), order(D1, "o1", "A", "100")]
    const without = expectSuccess(await simulate(doc(GROWTH_ON, [...base, closeDay(D1)])))
    const withZero = expectSuccess(
      await simulate(doc(GROWTH_ON, [...base, sell(D1, "A", "0"), convert(D1, "A", 0), closeDay(D1)]))
    )
    expect(withZero).toEqual(without)
  })

  it("closes nothing at the end of the file: an open day's events show in members and growth, not in days", async () => {
    const out = expectSuccess(
      await simulate(doc(GROWTH_ON, [join_(D1, "A"), order(D1, "o1", "A", "100"), closeDay(D1), order(D2, "o2", "A", "100")]))
    )
    expect((out.days as { day: string }[]).map((d) => d.day)).toEqual([D1])
    // 21 points from o1 at price 1, 14.7 from o2 at 30 / 21 (RULES.md §8)
    expect(normalise((out.members as Record<string, unknown>).A)).toMatchObject({ growth: "35.7" })
    expect(normalise(out.growth)).toMatchObject({ pool: "60", supply: "35.7" })
  })

  it("closes skipped days by catch-up and closeDay D closes every unclosed day up to D", async () => {
    const out = expectSuccess(
      await simulate(doc(GROWTH_ON, [join_(D1, "A"), order(D2, "o1", "A", "100"), closeDay(D3)]))
    )
    expect((out.days as { day: string; sales: string }[]).map((d) => [d.day, d.sales])).toEqual([
      [D1, "0"],
      [D2, "100"],
      [D3, "0"],
    ])
  })
})

describe("simulate in-process (main): every invalid case of SCENARIO.md exits 2 with one line", () => {
  it("bad JSON", async () => {
    expectInvalid(await simulate("{ not json"), /JSON/)
  })

  it("a top-level unknown key", async () => {
    expectInvalid(await simulate({ program: {}, events: [], extra: true }), "extra")
  })

  it("invalid program: poolRate 1.5", async () => {
    expectInvalid(await simulate(doc({ schemes: { growth: { poolRate: "1.5" } } }, [])), "poolRate")
  })

  it("invalid program: an unknown key in a scheme", async () => {
    expectInvalid(await simulate(doc({ schemes: { cycle: { enabled: true, bonusRate: "0.1" } } }, [])), "bonusRate")
  })

  it('invalid program: scale "4" as a string', async () => {
    expectInvalid(await simulate(doc({ scale: "4" }, [])), "scale")
  })

  it("an unknown event type", async () => {
    expectInvalid(await simulate(doc(ALL_ON, [join_(D1, "A"), { type: "gift", day: D1, member: "A" }])), "events[1]", "gift")
  })

  it("an unknown member (an order by a member that never joined)", async () => {
    expectInvalid(await simulate(doc(ALL_ON, [join_(D1, "A"), order(D1, "o1", "Z", "10")])), "events[1]", "Z")
  })

  it("a member that joins twice", async () => {
    expectInvalid(await simulate(doc(ALL_ON, [join_(D1, "A"), join_(D1, "B"), join_(D2, "A")])), "events[2]", "A")
  })

  it("a referrer that has not joined (yet)", async () => {
    expectInvalid(await simulate(doc(ALL_ON, [join_(D1, "B", "A"), join_(D1, "A")])), "events[0]", "referrer")
  })

  it("a refund of an unknown order", async () => {
    expectInvalid(
      await simulate(doc(ALL_ON, [join_(D1, "A"), order(D1, "o1", "A", "10"), refund(D1, "o2", "1")])),
      "events[2]",
      "o2"
    )
  })

  it("a negative order amount", async () => {
    expectInvalid(await simulate(doc(ALL_ON, [join_(D1, "A"), order(D1, "o1", "A", "-10")])), "events[1]", "amount")
  })

  it("a negative refund amount", async () => {
    expectInvalid(
      await simulate(doc(ALL_ON, [join_(D1, "A"), order(D1, "o1", "A", "10"), refund(D1, "o1", "-1")])),
      "events[2]",
      "amount"
    )
  })

  it("a refund above what is still unrefunded", async () => {
    expectInvalid(
      await simulate(
        doc(ALL_ON, [join_(D1, "A"), order(D1, "o1", "A", "10"), refund(D1, "o1", "4"), refund(D2, "o1", "6.0001")])
      ),
      "events[3]",
      "amount"
    )
  })

  it("a refund dated before its order", async () => {
    expectInvalid(
      await simulate(doc(ALL_ON, [join_(D1, "A"), closeDay(D1), order(D2, "o1", "A", "10"), refund(D1, "o1")])),
      "events[3]",
      "refund"
    )
  })

  it('exponent notation inside a string ("1e3")', async () => {
    expectInvalid(await simulate(doc(ALL_ON, [join_(D1, "A"), order(D1, "o1", "A", "1e3")])), "events[1]", "amount")
  })

  it("sell points with more decimals than scale", async () => {
    expectInvalid(
      await simulate(doc(ALL_ON, [join_(D1, "A"), order(D1, "o1", "A", "100"), sell(D1, "A", "1.00001")])),
      "events[2]",
      "points"
    )
  })

  it("sell with growth disabled, even zero points", async () => {
    expectInvalid(await simulate(doc({}, [join_(D1, "A"), sell(D1, "A", "0")])), "events[1]", /growth/)
  })

  it("convert with growth disabled, even zero points", async () => {
    expectInvalid(
      await simulate(doc({ schemes: { cycle: { enabled: true }, release: { enabled: true } } }, [join_(D1, "A"), convert(D1, "A", "0")])),
      "events[1]",
      /growth/
    )
  })

  it("selling more than the member holds", async () => {
    // 100 × 0.30 × 0.70 = 21 points held
    expectInvalid(
      await simulate(doc(GROWTH_ON, [join_(D1, "A"), order(D1, "o1", "A", "100"), sell(D1, "A", "21.0001")])),
      "events[2]",
      "points"
    )
  })

  it("converting more than the member holds", async () => {
    expectInvalid(
      await simulate(doc(GROWTH_ON, [join_(D1, "A"), order(D1, "o1", "A", "100"), convert(D1, "A", "22")])),
      "events[2]",
      "points"
    )
  })

  it("adjust with an empty reason", async () => {
    expectInvalid(await simulate(doc(ALL_ON, [join_(D1, "A"), adjust(D1, "A", "CREDIT", "1", "")])), "events[1]", "reason")
  })

  it("adjust with a whitespace-only reason", async () => {
    expectInvalid(await simulate(doc(ALL_ON, [join_(D1, "A"), adjust(D1, "A", "CREDIT", "1", " \t ")])), "events[1]", "reason")
  })

  it("adjust of an asset of a disabled scheme, even a zero amount", async () => {
    const onlyGrowth = [join_(D1, "A"), order(D1, "o1", "A", "100")]
    for (const asset of ["POINTS", "QUOTA", "WEIGHT"]) {
      expectInvalid(await simulate(doc(GROWTH_ON, [...onlyGrowth, adjust(D1, "A", asset, "0")])), "events[2]", "asset")
    }
    expectInvalid(
      await simulate(doc({ schemes: { cycle: { enabled: true } } }, [join_(D1, "A"), adjust(D1, "A", "GROWTH", "0")])),
      "events[1]",
      "asset"
    )
    // CREDIT is always allowed
    expectSuccess(await simulate(doc({}, [join_(D1, "A"), adjust(D1, "A", "CREDIT", "0")])))
  })

  it("adjust that would make a balance negative", async () => {
    expectInvalid(
      await simulate(doc(ALL_ON, [join_(D1, "A"), adjust(D1, "A", "CREDIT", "5"), adjust(D1, "A", "CREDIT", "-5.0001")])),
      "events[2]",
      "amount"
    )
  })

  it("adjust of an unknown asset", async () => {
    expectInvalid(await simulate(doc(ALL_ON, [join_(D1, "A"), adjust(D1, "A", "MONEY", "1")])), "events[1]", "asset")
  })

  it("a positive GROWTH adjust while the growth pool is 0", async () => {
    expectInvalid(await simulate(doc(GROWTH_ON, [join_(D1, "A"), adjust(D1, "A", "GROWTH", "1")])), "events[1]", "amount")
  })

  it("an event for a closed day", async () => {
    expectInvalid(
      await simulate(doc(ALL_ON, [join_(D1, "A"), closeDay(D1), order(D1, "o1", "A", "10")])),
      "events[2]",
      D1
    )
  })

  it("an event dated before the last closed day (closed by catch-up)", async () => {
    expectInvalid(
      await simulate(doc(ALL_ON, [join_(D1, "A"), join_(D3, "B"), order(D2, "o1", "A", "10")])),
      "events[2]",
      D2
    )
  })

  it("closeDay of a closed day", async () => {
    expectInvalid(await simulate(doc(ALL_ON, [join_(D1, "A"), closeDay(D1), closeDay(D1)])), "events[2]", "closeDay")
    expectInvalid(await simulate(doc(ALL_ON, [join_(D1, "A"), closeDay(D2), closeDay(D1)])), "events[2]", "closeDay")
  })

  it("an event dated before the first business day", async () => {
    expectInvalid(await simulate(doc(ALL_ON, [join_(D2, "A"), join_(D1, "B")])), "events[1]", D1)
  })

  it("an order id used twice, even when the first order was of 0", async () => {
    expectInvalid(
      await simulate(doc(ALL_ON, [join_(D1, "A"), order(D1, "o1", "A", "0"), order(D1, "o1", "A", "10")])),
      "events[2]",
      "o1"
    )
  })

  it("a missing file", async () => {
    expectInvalid(await runMain(["simulate", join(dir, "missing.json")]), "missing.json")
  })

  it("no arguments", async () => {
    expectInvalid(await runMain([]), /usage/)
    expectInvalid(await runMain(["simulate"]), /usage/)
  })
})
