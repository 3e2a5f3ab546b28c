/**
 * RULES.md §6: "The run records its progress so that a crash at any point resumes without
 * paying anything twice." A store that fails at its n-th commit stands in for a process that
 * dies there; closing the day again must end in exactly the ledger of an uninterrupted close,
 * for every n. Small batches make every step span several commits.
 */
import { parseProgramConfig } from "../../src/engine/config"
import { Dec } from "../../src/engine/decimal"
import { MemoryStore } from "../../src/engine/memory-store"
import type { Commit } from "../../src/engine/store"
import { renderOutput } from "../../src/simulator/output"
import { memoryEngine } from "../../src/simulator/scenario"

const DAY1 = "2026-03-01"
const BEFORE = "2026-03-06"
const DAY2 = "2026-03-07"

const program = parseProgramConfig({
  scale: 4,
  pendingDays: 1,
  schemes: {
    growth: { enabled: true, exitCapMultiple: "0.25", referrerIssueRate: "0.1" },
    cycle: {
      enabled: true,
      weightUnit: "500",
      referralWeightRate: "0.5",
      tiers: [
        { min: 1, max: 5, rate: "0.05" },
        { min: 6, max: null, rate: "0.1" },
      ],
    },
    release: {
      enabled: true,
      // fast releases: by DAY2 some tranches run dry inside the close, so a resumed close must
      // start each tranche from what it held before that day's release (the pass is staged)
      dailyReleaseRate: "0.15",
      teamRewardsEnabled: true,
      teamLevels: [
        { threshold: "5000", rate: "0.1" },
        { threshold: "20000", rate: "0.2" },
      ],
    },
  },
})

/** A store whose `failAt`-th commit throws before it changes anything, as a crash would. */
class CrashingStore extends MemoryStore {
  commits = 0
  failAt = 0

  async commit(change: Commit): Promise<void> {
    this.commits += 1
    if (this.commits === this.failAt) throw new Error(`crash at commit ${this.commits}`)
    return super.commit(change)
  }
}

/** 40 members in a forest with a chain; orders on DAY1, days closed up to BEFORE, more orders on DAY2. */
async function build(store: CrashingStore) {
  const { engine } = memoryEngine(program, { dayBatchSize: 3 }, store)
  for (let i = 0; i < 40; i++) {
    const referrer = i === 0 ? null : i < 12 ? `m${i - 1}` : `m${(i * 7) % i}`
    await engine.join({ memberId: `m${i}`, referrerId: referrer, day: DAY1 })
    await engine.placeOrder({ orderId: `a${i}`, memberId: `m${i}`, amount: new Dec(2900 + i * 173), day: DAY1 })
  }
  await engine.catchUpTo(BEFORE)
  await engine.closeDay(BEFORE)
  for (let i = 0; i < 40; i += 3) {
    await engine.placeOrder({ orderId: `b${i}`, memberId: `m${i}`, amount: new Dec(1000 + i * 31), day: DAY2 })
  }
  await engine.refund({ orderId: "a5", amount: new Dec(700), day: DAY2 })
  return engine
}

describe("a day close resumes after a crash at any commit (RULES.md §6)", () => {
  let expected: string
  let commitsInClose: number

  beforeAll(async () => {
    const store = new CrashingStore(program.schemes.growth.initialPrice)
    const engine = await build(store)
    const before = store.commits
    await engine.closeDay(DAY2)
    commitsInClose = store.commits - before
    expected = JSON.stringify(await renderOutput(store, program))
  })

  it("spans many commits (so the crash points cover every step)", () => {
    expect(commitsInClose).toBeGreaterThan(20)
  })

  it("ends in the same ledger wherever it crashed", async () => {
    for (let k = 1; k <= commitsInClose; k++) {
      const store = new CrashingStore(program.schemes.growth.initialPrice)
      const engine = await build(store)
      store.failAt = store.commits + k
      await expect(engine.closeDay(DAY2)).rejects.toThrow(`crash at commit ${store.failAt}`)
      const transfersAfterCrash = store.transferCount()
      await engine.closeDay(DAY2) // the next run resumes
      const output = await renderOutput(store, program)
      expect(output.invariants).toEqual({ ok: true, violations: [] })
      expect({ crashAt: k, output: JSON.stringify(output) }).toEqual({ crashAt: k, output: expected })
      expect(store.transferCount()).toBeGreaterThanOrEqual(transfersAfterCrash)
      // closing it once more changes nothing
      expect(await engine.closeDay(DAY2)).toBe(false)
      expect(JSON.stringify(await renderOutput(store, program))).toBe(expected)
    }
  })
})
