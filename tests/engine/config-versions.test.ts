/**
 * RULES.md §7: a configuration change takes effect from the business day it names, and the
 * version that applied is recorded on every transfer. A version that becomes effective in the
 * middle of a catch-up (several days closed at once) governs its own day onwards only.
 */
import { parseProgramConfig } from "../../src/engine/config"
import { Dec, formatAtoms } from "../../src/engine/decimal"
import { RewardsEngine } from "../../src/engine/engine"
import { MemoryStore } from "../../src/engine/memory-store"

const v1 = parseProgramConfig({ schemes: { cycle: { enabled: true, proRataPoolRate: "0.3", tiers: [] } } })
const v2 = parseProgramConfig({ schemes: { cycle: { enabled: true, proRataPoolRate: "0.5", tiers: [] } } })

it("a version effective mid-catch-up applies from its own day only", async () => {
  const store = new MemoryStore(new Dec(1))
  const engine = new RewardsEngine(store, [
    { version: 1, effectiveFrom: null, config: v1 },
    { version: 2, effectiveFrom: "2026-05-03", config: v2 },
  ])
  await engine.join({ memberId: "A", referrerId: null, day: "2026-05-01" })
  await engine.placeOrder({ orderId: "o1", memberId: "A", amount: new Dec(100000), day: "2026-05-01" })
  // nothing happens until day 4: the catch-up closes 1, 2 and 3 in one go
  await engine.catchUpTo("2026-05-04")
  await engine.placeOrder({ orderId: "o4", memberId: "A", amount: new Dec(1000), day: "2026-05-04" })
  await engine.closeDay("2026-05-04")

  const days = await store.getDayReports()
  expect(days.map((d) => [d.day, d.sales.toFixed(), formatAtoms(d.cycle.proRataPool, 4)])).toEqual([
    ["2026-05-01", "100000", "30000"],
    ["2026-05-02", "0", "0"],
    ["2026-05-03", "0", "0"],
    ["2026-05-04", "1000", "500"],
  ])
  const versions = store.log.batches.map((b) => [b.key, b.configVersion])
  expect(versions).toContainEqual(["order:o1:award", 1])
  expect(versions).toContainEqual(["order:o4:award", 2])
  expect(versions.filter(([key]) => String(key).startsWith("day:2026-05-01:"))).not.toHaveLength(0)
  for (const [key, version] of versions) {
    if (String(key).startsWith("day:2026-05-01:")) expect(version).toBe(1)
    if (String(key).startsWith("day:2026-05-04:")) expect(version).toBe(2)
  }
})
