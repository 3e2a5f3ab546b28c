/**
 * The member base of the day-close benchmarks (bench:engine in memory, bench:cycle on
 * PostgreSQL): a random referral forest plus one long chain (100 000 deep, or half the members
 * when that is fewer), every member with two orders that make release tranches; growth (with
 * forced exits), cycle and release with team rewards all on. Built through the engine's own
 * bulk import, so it is a state the rules can reach.
 */
import { parseProgramConfig } from "../../src/engine/config"
import { Dec } from "../../src/engine/decimal"
import type { JoinInput, OrderInput, RewardsEngine } from "../../src/engine/engine"

export const BENCH_DAY = "2026-03-02"
const CHAIN = 100_000

/** mulberry32: a small seeded generator, so every run builds the same base. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const benchProgramInput = {
  currency: "CNY",
  schemes: {
    growth: { enabled: true, exitCapMultiple: "2", referrerIssueRate: "0.1" },
    cycle: {
      enabled: true,
      weightUnit: "500",
      referralQuotaRate: "0.1",
      referralWeightRate: "0.5",
      tiers: [
        { name: "V1", min: 1, max: 20, rate: "0.01" },
        { name: "V2", min: 21, max: 100, rate: "0.03" },
        { name: "V3", min: 101, max: null, rate: "0.06" },
      ],
    },
    release: { enabled: true, teamRewardsEnabled: true },
  },
}

export const benchProgram = () => parseProgramConfig(benchProgramInput)

/** Imports `members` members (ids `m<i>`) and their orders on BENCH_DAY. */
export async function buildBase(engine: RewardsEngine, members: number): Promise<void> {
  const random = rng(members)
  const chain = Math.min(CHAIN, Math.floor(members / 2))
  const chunk = 3_000
  let items: ({ join: JoinInput } | { order: OrderInput })[] = []
  let batches = 0
  const flush = async () => {
    if (items.length === 0) return
    await engine.importBatch(BENCH_DAY, `bench:import:${batches++}`, items)
    items = []
  }
  for (let i = 0; i < members; i++) {
    // members 0..chain-1 form one chain; the rest refer a random earlier member (a random forest)
    const referrer = i === 0 ? null : i < chain ? `m${i - 1}` : random() < 0.02 ? null : `m${Math.floor(random() * i)}`
    items.push({ join: { memberId: `m${i}`, referrerId: referrer, day: BENCH_DAY } })
    for (const k of [0, 1]) {
      const amount = 3000 + Math.floor(random() * 60) * 100 + (k === 1 ? 6000 : 0)
      items.push({ order: { orderId: `o${i}-${k}`, memberId: `m${i}`, amount: new Dec(amount), day: BENCH_DAY } })
    }
    if (items.length >= chunk) await flush()
  }
  await flush()
}
