/**
 * Paying with stable credit and released points at checkout, and giving them back on a
 * cancellation or refund (RULES.md §2.5, §4.7, §1.2 decision, §1.6, §1.7), on the in-memory
 * store: exact amounts, caps, no negative balance, nothing written by a refused request,
 * cumulative returns that never give back more than was spent.
 */
import fc from "fast-check"
import { audit } from "../../src/engine/audit"
import { checkoutLimits, exactPointsBelow, priceCheckout } from "../../src/engine/checkout"
import { type ProgramConfig, parseProgramConfig } from "../../src/engine/config"
import { Dec, formatAtoms } from "../../src/engine/decimal"
import { RewardsEngine } from "../../src/engine/engine"
import { RulesError } from "../../src/engine/errors"
import { SYSTEM } from "../../src/engine/ledger"
import { MemoryStore } from "../../src/engine/memory-store"

const DAY = "2026-05-01"

function program(extra: Record<string, unknown> = {}, release: Record<string, unknown> = {}): ProgramConfig {
  return parseProgramConfig({
    currency: "CNY",
    timezone: "UTC",
    creditMaxShare: "0.5",
    ...extra,
    schemes: { release: { enabled: true, pointValue: "0.5", pointsMaxShare: "0.3", ...release } },
  })
}

async function setup(cfg: ProgramConfig, credit = "100", points = "80") {
  const store = new MemoryStore(new Dec(1))
  const engine = new RewardsEngine(store, [{ version: 1, effectiveFrom: null, config: cfg }])
  await engine.join({ memberId: "A", referrerId: null, day: DAY })
  await engine.join({ memberId: "B", referrerId: null, day: DAY })
  await engine.adjust({ memberId: "A", asset: "CREDIT", amount: new Dec(credit), reason: "seed", day: DAY })
  await engine.adjust({ memberId: "A", asset: "POINTS", amount: new Dec(points), reason: "seed", day: DAY })
  const bal = (id = "A") => {
    const b = store.memberBalancesNow(id)
    const f = (x: bigint) => formatAtoms(x, cfg.scale)
    return { credit: f(b.CREDIT), points: f(b.POINTS), creditDebt: f(b.DEBT_CREDIT), pointsDebt: f(b.DEBT_POINTS) }
  }
  return { store, engine, bal }
}

async function rejection(p: Promise<unknown>): Promise<RulesError> {
  try {
    await p
  } catch (e) {
    if (e instanceof RulesError) return e
    throw e
  }
  throw new Error("expected a RulesError")
}

const spendInput = (over: Partial<{ credit: string; points: string; total: string; currencyCode: string; checkoutId: string }> = {}) => ({
  memberId: "A",
  checkoutId: over.checkoutId ?? "cart_1#1",
  total: new Dec(over.total ?? "110"),
  currencyCode: over.currencyCode ?? "cny",
  credit: new Dec(over.credit ?? "0"),
  points: new Dec(over.points ?? "0"),
  day: DAY,
})

describe("spending at checkout (RULES.md §2.5, §4.7)", () => {
  it("debits exactly the credit and points asked for; the platform receives them; the audit holds", async () => {
    const cfg = program()
    const { store, engine, bal } = await setup(cfg)
    // total 110: credit ≤ 55 (creditMaxShare 0.5), points worth ≤ 33 (pointsMaxShare 0.3) at 0.5 each
    const priced = await engine.spend(spendInput({ credit: "54.99", points: "66" }))
    expect(priced.creditValue.toFixed()).toBe("54.99")
    expect(priced.pointsValue.toFixed()).toBe("33")
    expect(bal()).toEqual({ credit: "45.01", points: "14", creditDebt: "0", pointsDebt: "0" })
    // the seed came from admin adjustments; the platform redeemed what was spent
    expect(formatAtoms(store.systemBalanceNow(SYSTEM.platform, "CREDIT"), 4)).toBe("54.99")
    expect(formatAtoms(store.systemBalanceNow(SYSTEM.platform, "POINTS"), 4)).toBe("66")
    const rows = [...store.transfers()].filter((t) => t.batchKey === "checkout:cart_1#1:spend")
    expect(rows.map((t) => [t.asset, t.debit, t.credit, t.reason])).toEqual([
      ["CREDIT", "m:A", SYSTEM.platform, "checkout.credit"],
      ["POINTS", "m:A", SYSTEM.platform, "checkout.points"],
    ])
    expect(audit(store, new Dec(1)).violations).toEqual([])
  })

  it("refuses what the caps, the balances, the currency and the minor unit do not allow, and writes nothing", async () => {
    const cfg = program()
    const { store, engine, bal } = await setup(cfg)
    const before = store.transferCount()
    const cases: [Parameters<typeof spendInput>[0], string, RegExp][] = [
      [{ credit: "55.01" }, "credit", /more than creditMaxShare 0.5 of the order total 110 allows \(55\)/],
      [{ credit: "101", total: "1000" }, "credit", /101 is more than the 100 credit the member holds/],
      [{ credit: "1.005" }, "credit", /more than 2 decimals/],
      [{ credit: "-1" }, "credit", /must be a decimal ≥ 0/],
      [{ points: "66.02" }, "points", /more than pointsMaxShare 0.3/],
      [{ points: "81", total: "1000" }, "points", /81 is more than the 80 points the member holds/],
      [{ points: "0.01" }, "points", /worth 0.005 CNY, not a whole number of minor units; use 0 points/],
      [{ points: "10.03" }, "points", /use 10.02 points/],
      [{ credit: "10", currencyCode: "usd" }, "currency", /only for orders in the program currency CNY, not USD/],
    ]
    for (const [input, field, message] of cases) {
      const e = await rejection(engine.spend(spendInput(input)))
      expect({ input, field: e.field }).toEqual({ input, field })
      expect(e.rule).toMatch(message)
    }
    // both together above the total: creditMaxShare 1 and pointsMaxShare 1 make each fit alone
    const wide = program({ creditMaxShare: "1" }, { pointsMaxShare: "1", pointValue: "1" })
    const w = await setup(wide)
    const e = await rejection(w.engine.spend(spendInput({ credit: "60", points: "60", total: "110" })))
    expect(e.field).toBe("points")
    expect(e.rule).toMatch(/together exceed the order total 110/)
    expect(store.transferCount()).toBe(before)
    expect(bal()).toEqual({ credit: "100", points: "80", creditDebt: "0", pointsDebt: "0" })
  })

  it("refuses credit while the member has credit debt (RULES.md §1.7), points still pay", async () => {
    const cfg = program()
    const { store, engine, bal } = await setup(cfg)
    // a clawback left 5 credit of debt (as a refund of a spent cycle payout would)
    await store.commit({
      batch: {
        key: "test:debt",
        day: DAY,
        source: "test",
        configVersion: 1,
        transfers: [{ asset: "DEBT_CREDIT", debit: SYSTEM.clawback, credit: "m:A", amount: 50000n, reason: "debt.incur" }],
      },
    })
    const e = await rejection(engine.spend(spendInput({ credit: "1" })))
    expect(e.field).toBe("credit")
    expect(e.rule).toMatch(/credit debt cannot spend credit/)
    const limits = checkoutLimits(cfg, { total: new Dec(110), currencyCode: "CNY" }, { credit: 1_000_000n, points: 800_000n, creditDebt: 50000n })
    expect(limits.maxCredit.toFixed()).toBe("0")
    await engine.spend(spendInput({ points: "10" }))
    expect(bal()).toEqual({ credit: "100", points: "70", creditDebt: "5", pointsDebt: "0" })
  })

  it("quotes the most a member may use: caps, balance, what the credit leaves, whole minor units", () => {
    const cfg = program({}, { pointValue: "0.03" })
    const held = { credit: 1_000_000n, points: 100_000_000n, creditDebt: 0n }
    const l = checkoutLimits(cfg, { total: new Dec("110.37"), currencyCode: "CNY" }, held, new Dec(50))
    expect(l.creditCap.toFixed()).toBe("55.18")
    expect(l.maxCredit.toFixed()).toBe("55.18")
    expect(l.pointsValueCap.toFixed()).toBe("33.11")
    // points worth ≤ 33.11 at 0.03: a whole number of fen needs a multiple of 1/3 point at scale 4 → whole points
    expect(l.maxPoints.toFixed()).toBe("1103")
    expect(priceCheckout(cfg, { total: new Dec("110.37"), currencyCode: "CNY" }, held, { credit: new Dec(50), points: l.maxPoints }).pointsValue.toFixed()).toBe("33.09")
    // the balance limits too
    expect(checkoutLimits(cfg, { total: new Dec(1000), currencyCode: "CNY" }, { ...held, points: 123_4567n }).maxPoints.toFixed()).toBe("123")
    expect(exactPointsBelow(new Dec("0.07"), new Dec("0.5"), 2, 4, 10n ** 9n)).toBe(1400n) // 0.14 points = 0.07
    expect(exactPointsBelow(new Dec(5), new Dec(0), 2, 4, 10n ** 9n)).toBe(0n)
  })

  it("priceCheckout and exactPointsBelow agree: the most points quoted are always accepted and exact", () => {
    const decimal = (max: number, places: number) =>
      fc.integer({ min: 0, max: max * 10 ** places }).map((n) => new Dec(n).div(10 ** places))
    fc.assert(
      fc.property(
        decimal(5, 4).filter((d) => d.gt(0)),
        decimal(10000, 2),
        fc.integer({ min: 0, max: 10 ** 9 }),
        decimal(1, 2),
        (pointValue, total, heldPoints, share) => {
          const cfg = program({ creditMaxShare: "1" }, { pointValue: pointValue.toFixed(), pointsMaxShare: share.toFixed() })
          const held = { credit: 0n, points: BigInt(heldPoints), creditDebt: 0n }
          const order = { total, currencyCode: "CNY" }
          const max = checkoutLimits(cfg, order, held).maxPoints
          const priced = priceCheckout(cfg, order, held, { credit: new Dec(0), points: max })
          expect(priced.pointsValue.decimalPlaces()).toBeLessThanOrEqual(2)
          expect(priced.pointsValue.lte(share.times(total))).toBe(true)
          // one atom more is refused: over a cap or the balance, or not a whole number of minor units
          const more = max.plus(new Dec(1).div(10 ** 4))
          expect(() => priceCheckout(cfg, order, held, { credit: new Dec(0), points: more })).toThrow(RulesError)
        }
      ),
      { numRuns: 300 }
    )
  })
})

describe("giving credit and points back (RULES.md §1.2 decision)", () => {
  it("returns the refunded share, rounded down, cumulatively; never more than was spent", async () => {
    const cfg = program({ creditMaxShare: "1" }, { pointsMaxShare: "1", pointValue: "1" })
    const { store, engine, bal } = await setup(cfg)
    const priced = await engine.spend(spendInput({ credit: "33.33", points: "10.01", total: "200" }))
    const spent = { credit: priced.credit, points: priced.points }
    const none = { credit: 0n, points: 0n }
    expect(bal()).toEqual({ credit: "66.67", points: "69.99", creditDebt: "0", pointsDebt: "0" })

    const r1 = await engine.returnSpend({ memberId: "A", checkoutId: "cart_1#1", causeId: "refund_1", spent, returned: none, share: new Dec("0.3"), day: DAY })
    expect(r1).toEqual({ credit: 99990n, points: 30030n }) // floor(33.33 × 0.3) = 9.999, floor(10.01 × 0.3) = 3.003
    // the same cause again: nothing more (the key was taken)
    await expect(
      engine.returnSpend({ memberId: "A", checkoutId: "cart_1#1", causeId: "refund_1", spent, returned: r1, share: new Dec("0.6"), day: DAY })
    ).rejects.toThrow("was already applied")
    // a lower share than already returned gives nothing
    const r0 = await engine.returnSpend({ memberId: "A", checkoutId: "cart_1#1", causeId: "refund_0", spent, returned: r1, share: new Dec("0.2"), day: DAY })
    expect(r0).toEqual(none)
    const r2 = await engine.returnSpend({ memberId: "A", checkoutId: "cart_1#1", causeId: "cancel", spent, returned: r1, share: new Dec(1), day: DAY })
    expect(r2.credit + r1.credit).toBe(spent.credit)
    expect(r2.points + r1.points).toBe(spent.points)
    expect(bal()).toEqual({ credit: "100", points: "80", creditDebt: "0", pointsDebt: "0" })
    const reasons = [...store.transfers()].filter((t) => t.batchKey.startsWith("checkout:cart_1#1:return")).map((t) => t.reason)
    expect(new Set(reasons)).toEqual(new Set(["checkout.return.credit", "checkout.return.points"]))
    expect(audit(store, new Dec(1)).violations).toEqual([])
    await expect(
      engine.returnSpend({ memberId: "A", checkoutId: "cart_1#1", causeId: "x", spent, returned: none, share: new Dec("1.5"), day: DAY })
    ).rejects.toThrow("refundedShare: must lie in [0, 1]")
  })

  it("settles credit debt first (RULES.md §1.7); a release gives everything back; an undo takes it back", async () => {
    const cfg = program({ creditMaxShare: "1" }, { pointsMaxShare: "1", pointValue: "1" })
    const { store, engine, bal } = await setup(cfg)
    const priced = await engine.spend(spendInput({ credit: "40", points: "20", total: "100" }))
    await store.commit({
      batch: {
        key: "test:debt",
        day: DAY,
        source: "test",
        configVersion: 1,
        transfers: [{ asset: "DEBT_CREDIT", debit: SYSTEM.clawback, credit: "m:A", amount: 150000n, reason: "debt.incur" }],
      },
    })
    const spent = { credit: priced.credit, points: priced.points }
    const back = await engine.returnSpend({
      memberId: "A",
      checkoutId: "cart_1#1",
      causeId: "ignored",
      spent,
      returned: { credit: 0n, points: 0n },
      share: new Dec(0),
      release: true,
      day: DAY,
    })
    expect(back).toEqual(spent)
    expect(bal()).toEqual({ credit: "85", points: "80", creditDebt: "0", pointsDebt: "0" }) // 15 of the 40 settled the debt
    expect(store.log.batches.map((b) => b.key)).toContain("checkout:cart_1#1:release")

    // an undo takes back what it can and leaves the rest as debt
    await engine.spend(spendInput({ checkoutId: "cart_2#1", credit: "80", total: "100" }))
    await engine.undoReturn({ memberId: "A", checkoutId: "cart_1#1", causeId: "cancel", amounts: { credit: 100000n, points: 100000n }, day: DAY })
    expect(bal()).toEqual({ credit: "0", points: "70", creditDebt: "5", pointsDebt: "0" })
    expect(audit(store, new Dec(1)).violations).toEqual([])
  })

  it("property: any sequence of spends and growing refund shares keeps balances ≥ 0 and returns exactly floor(spent × share)", async () => {
    const cfg = program({ creditMaxShare: "1" }, { pointsMaxShare: "1", pointValue: "1" })
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            credit: fc.integer({ min: 0, max: 4000 }),
            points: fc.integer({ min: 0, max: 4000 }),
            shares: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 4 }),
          }),
          { minLength: 1, maxLength: 6 }
        ),
        async (checkouts) => {
          const { store, engine } = await setup(cfg, "100", "100")
          const held = () => store.memberBalancesNow("A")
          let n = 0
          for (const c of checkouts) {
            const id = `cart_${++n}#1`
            const req = spendInput({ checkoutId: id, credit: new Dec(c.credit).div(100).toFixed(), points: new Dec(c.points).div(100).toFixed(), total: "1000" })
            const before = held()
            let priced
            try {
              priced = await engine.spend(req)
            } catch (e) {
              if (!(e instanceof RulesError)) throw e
              // refused only when the member does not hold enough, and then nothing moved
              expect(BigInt(c.credit) * 100n > before.CREDIT || BigInt(c.points) * 100n > before.POINTS).toBe(true)
              expect(held()).toEqual(before)
              continue
            }
            const spent = { credit: priced.credit, points: priced.points }
            let returned = { credit: 0n, points: 0n }
            let share = new Dec(0)
            for (const [i, s] of [...c.shares.sort((a, b) => a - b), 1000].entries()) {
              const next = new Dec(s).div(1000)
              if (next.lte(share) && s !== 1000) continue
              share = next
              const due = await engine.returnSpend({ memberId: "A", checkoutId: id, causeId: `r${i}`, spent, returned, share, day: DAY })
              returned = { credit: returned.credit + due.credit, points: returned.points + due.points }
              const floor = (x: bigint) => BigInt(new Dec(x.toString()).times(share).toFixed(0, Dec.ROUND_FLOOR))
              expect(returned).toEqual({ credit: floor(spent.credit), points: floor(spent.points) })
              const b = held()
              expect(b.CREDIT >= 0n && b.POINTS >= 0n).toBe(true)
            }
            expect(returned).toEqual(spent)
          }
          const b = held()
          expect([b.CREDIT, b.POINTS]).toEqual([1_000_000n, 1_000_000n])
          expect(audit(store, new Dec(1)).violations).toEqual([])
        }
      ),
      { numRuns: 60 }
    )
  })

  it("concurrent spends of one balance: exactly the balance is spent, never more", async () => {
    const cfg = program({ creditMaxShare: "1" }, { pointsMaxShare: "1", pointValue: "1" })
    const { engine, bal } = await setup(cfg, "100", "50")
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => engine.spend(spendInput({ checkoutId: `cart_${i}#1`, credit: "20", points: "10", total: "110" })))
    )
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5)
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(RulesError)
    expect(bal()).toEqual({ credit: "0", points: "0", creditDebt: "0", pointsDebt: "0" })
  })
})
