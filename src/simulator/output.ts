/** The simulator's result document (SCENARIO.md "Output"). */
import { type AuditResult, type Violation, audit } from "../engine/audit"
import type { ProgramConfig } from "../engine/config"
import { Dec, formatAtoms } from "../engine/decimal"
import { SYSTEM } from "../engine/ledger"
import type { MemoryStore } from "../engine/memory-store"
import { teamPerformances } from "../engine/team"

export interface MemberOutput {
  growth: string
  credit: string
  exitCap: string
  quota: string
  weight: string
  pointsLocked: string
  points: string
  debt: { growth: string; credit: string; points: string }
  level: number | null
  starLevel: number
}

export interface DayOutput {
  day: string
  sales: string
  cycle: { proRataPool: string; tierPools: string[]; paid: string; returned: string }
  release: { base: string; share: string; team: string; peer: string; forfeited: string }
}

export interface SimulationOutput {
  members: Record<string, MemberOutput>
  growth: { pool: string; supply: string; price: string; treasury: string }
  days: DayOutput[]
  invariants: { ok: boolean; violations: Violation[] }
}

/** Members ordered children before parents (deepest first), as the bottom-up passes need. */
function bottomUp<T extends { depth: number }>(members: T[]): T[] {
  const byDepth: T[][] = []
  for (const m of members) (byDepth[m.depth] ??= []).push(m)
  const out: T[] = []
  for (let d = byDepth.length - 1; d >= 0; d--) out.push(...(byDepth[d] ?? []))
  return out
}

export async function renderOutput(store: MemoryStore, program: ProgramConfig): Promise<SimulationOutput> {
  const scale = program.scale
  const fmt = (a: bigint) => formatAtoms(a, scale)
  const release = program.schemes.release
  const all = store.allMembers()
  const stars = release.enabled ? teamPerformances(release, bottomUp(all)) : null
  const members: Record<string, MemberOutput> = {}
  for (const m of all) {
    const b = store.memberBalancesNow(m.id)
    members[m.id] = {
      growth: fmt(b.GROWTH),
      credit: fmt(b.CREDIT),
      exitCap: fmt(b.EXIT_CAP),
      quota: fmt(b.QUOTA),
      weight: b.WEIGHT.toString(),
      pointsLocked: fmt(b.POINTS_LOCKED),
      points: fmt(b.POINTS),
      debt: { growth: fmt(b.DEBT_GROWTH), credit: fmt(b.DEBT_CREDIT), points: fmt(b.DEBT_POINTS) },
      level: release.enabled ? m.level : null,
      starLevel: stars?.get(m.id)?.starLevel ?? 0,
    }
  }
  const issued = -store.systemBalanceNow(SYSTEM.issuance, "GROWTH")
  const burned = store.systemBalanceNow(SYSTEM.burned, "GROWTH")
  const days = (await store.getDayReports()).map((r) => ({
    day: r.day,
    sales: r.sales.toFixed(),
    cycle: {
      proRataPool: fmt(r.cycle.proRataPool),
      tierPools: r.cycle.tierPools.map(fmt),
      paid: fmt(r.cycle.paid),
      returned: fmt(r.cycle.returned),
    },
    release: {
      base: fmt(r.release.base),
      share: fmt(r.release.share),
      team: fmt(r.release.team),
      peer: fmt(r.release.peer),
      forfeited: fmt(r.release.forfeited),
    },
  }))
  const result: AuditResult = audit(store, initialPriceOf(program))
  return {
    members,
    growth: {
      pool: fmt(store.systemBalanceNow(SYSTEM.growthPool, "MONEY")),
      supply: fmt(issued - burned),
      price: store.programNow().growthPrice.toFixed(),
      treasury: fmt(store.systemBalanceNow(SYSTEM.treasury, "GROWTH")),
    },
    days,
    invariants: { ok: result.ok, violations: result.violations },
  }
}

export function initialPriceOf(program: ProgramConfig): Dec {
  return program.schemes.growth.initialPrice.toDecimalPlaces(12, Dec.ROUND_FLOOR)
}
