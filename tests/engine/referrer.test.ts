/**
 * RULES.md §1.1: an admin may change a member's referrer before the member's first order;
 * a change that would create a cycle is rejected. The member's and every descendant's depth
 * move with it (the release pass reads members deepest first), and rewards follow the new
 * upline from then on.
 */
import { audit } from "../../src/engine/audit"
import { parseProgramConfig } from "../../src/engine/config"
import { Dec, formatAtoms } from "../../src/engine/decimal"
import { RulesError } from "../../src/engine/errors"
import { memoryEngine } from "../../src/simulator/scenario"

const D1 = "2026-03-01"
const D2 = "2026-03-02"

function release() {
  return parseProgramConfig({
    schemes: { release: { enabled: true, levels: [{ threshold: "1000", multiple: "2.5" }], shareRates: ["0.5", "0.3"] } },
  })
}

/** R1 ← A ← B ← C, and a separate root R2 ← X. */
async function forest() {
  const { engine, store } = memoryEngine(release())
  for (const [memberId, referrerId] of [
    ["R1", null],
    ["R2", null],
    ["A", "R1"],
    ["B", "A"],
    ["C", "B"],
    ["X", "R2"],
  ] as const) {
    await engine.join({ memberId, referrerId, day: D1 })
  }
  return { engine, store }
}

async function depths(store: ReturnType<typeof memoryEngine>["store"]) {
  return Object.fromEntries(store.allMembers().map((m) => [m.id, [m.referrerId, m.depth]]))
}

async function rejection(p: Promise<unknown>): Promise<{ field: string; rule: string }> {
  try {
    await p
  } catch (e) {
    if (e instanceof RulesError) return { field: e.field, rule: e.rule }
    throw e
  }
  throw new Error("expected a RulesError")
}

describe("changeReferrer", () => {
  it("moves the member under the new referrer; the member's and its downline's depth follow", async () => {
    const { engine, store } = await forest()
    await engine.changeReferrer({ memberId: "A", referrerId: "X", day: D1, adminId: "user_1" })
    expect(await depths(store)).toEqual({
      R1: [null, 0],
      R2: [null, 0],
      A: ["X", 2],
      B: ["A", 3],
      C: ["B", 4],
      X: ["R2", 1],
    })
    // the admin is recorded as the source of an empty batch (no balance changes)
    const batch = store.log.batches.find((b) => b.key.startsWith("referrer:A:"))
    expect(batch).toMatchObject({ source: "user_1", day: D1 })
    expect(store.transferCount()).toBe(0)
  })

  it("removing the referrer makes the member a root and lifts its downline", async () => {
    const { engine, store } = await forest()
    await engine.changeReferrer({ memberId: "B", referrerId: null, day: D1 })
    const d = await depths(store)
    expect(d.B).toEqual([null, 0])
    expect(d.C).toEqual(["B", 1])
    expect(d.A).toEqual(["R1", 1])
  })

  it("rejects a cycle, the member itself, unknown members, and a member who ordered", async () => {
    const { engine, store } = await forest()
    expect(await rejection(engine.changeReferrer({ memberId: "A", referrerId: "C", day: D1 }))).toMatchObject({
      field: "referrer",
      rule: expect.stringContaining("cycle"),
    })
    expect(await rejection(engine.changeReferrer({ memberId: "A", referrerId: "B", day: D1 }))).toMatchObject({
      field: "referrer",
    })
    expect(await rejection(engine.changeReferrer({ memberId: "A", referrerId: "A", day: D1 }))).toMatchObject({
      field: "referrer",
      rule: "a member cannot refer themselves",
    })
    expect(await rejection(engine.changeReferrer({ memberId: "A", referrerId: "nobody", day: D1 }))).toMatchObject({
      field: "referrer",
    })
    expect(await rejection(engine.changeReferrer({ memberId: "nobody", referrerId: "R1", day: D1 }))).toMatchObject({
      field: "member",
    })
    // an order of eligible amount 0 counts too (Decision in engine.ts)
    await engine.placeOrder({ orderId: "o0", memberId: "B", amount: new Dec(0), day: D1 })
    expect(await rejection(engine.changeReferrer({ memberId: "B", referrerId: "X", day: D1 }))).toMatchObject({
      field: "member",
      rule: expect.stringContaining("first order"),
    })
    // nothing changed by any rejection
    expect((await depths(store)).A).toEqual(["R1", 1])
    expect((await depths(store)).B).toEqual(["A", 2])
  })

  it("a closed day cannot be written; the change applies on the open day only", async () => {
    const { engine } = await forest()
    await engine.closeDay(D1)
    expect(await rejection(engine.changeReferrer({ memberId: "A", referrerId: "X", day: D1 }))).toMatchObject({ field: "day" })
    await engine.changeReferrer({ memberId: "A", referrerId: "X", day: D2 })
  })

  it("share rewards follow the new upline, computed on the new depths; the ledger audits clean", async () => {
    const { engine, store } = await forest()
    // B has downline C; move B (no orders) under X, then C buys
    await engine.changeReferrer({ memberId: "B", referrerId: "X", day: D1 })
    for (const [id, member] of [
      ["oX", "X"],
      ["oR2", "R2"],
      ["oA", "A"],
      ["oB", "B"],
      ["oC", "C"],
    ] as const) {
      await engine.placeOrder({ orderId: id, memberId: member, amount: new Dec(1000), day: D1 })
    }
    await engine.closeDay(D1)
    // C's base release 12 → generation 1 (B) 6 and generation 2 (X) 3.6, no longer A;
    // B's base 12 → X 6 and R2 3.6; X's base 12 → R2 6
    const b = (id: string) => store.memberBalancesNow(id)
    const released = (id: string) => formatAtoms(b(id).POINTS, 4)
    expect(released("C")).toBe("12")
    expect(released("B")).toBe("18")
    expect(released("X")).toBe(String(12 + 3.6 + 6))
    expect(released("R2")).toBe(String(12 + 3.6 + 6))
    expect(released("A")).toBe("12")
    const result = audit(store, new Dec(1))
    expect(result.violations).toEqual([])
  })
})
