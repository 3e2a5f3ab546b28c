/**
 * The §1.8 audit fed row by row (LedgerAudit, what the database audit streams into) finds every
 * kind of violation it checks, and only those.
 */
import { LedgerAudit, type LedgerRow, type Violation } from "../audit"
import { Dec } from "../decimal"
import { SYSTEM } from "../ledger"
import type { TrancheRecord } from "../store"

const A = "m:alice"

function row(batch: number, asset: LedgerRow["asset"], debit: string, credit: string, amount: bigint, reason = "growth.issue"): LedgerRow {
  return { batch, batchKey: `b${batch}`, asset, debit, credit, amount, reason: reason as LedgerRow["reason"] }
}

function tranche(memberId: string, remaining: bigint): TrancheRecord {
  return { orderId: `o-${memberId}-${remaining}`, memberId, seq: 1, multiple: new Dec(2), remaining, netAmount: new Dec(100), dailyBase: 1n }
}

/** A sound little ledger: 100 into the pool, 100 growth points issued to Alice, 50 locked points in one tranche. */
function sound(): { audit: LedgerAudit; balances: [string, LedgerRow["asset"], bigint][] } {
  const audit = new LedgerAudit(new Dec(1))
  audit.transfer(row(1, "MONEY", SYSTEM.sales, SYSTEM.growthPool, 100n, "growth.pool"))
  audit.transfer(row(1, "GROWTH", SYSTEM.issuance, A, 100n))
  audit.transfer(row(1, "POINTS_LOCKED", SYSTEM.platform, A, 50n, "release.lock"))
  return {
    audit,
    balances: [
      [SYSTEM.sales, "MONEY", -100n],
      [SYSTEM.growthPool, "MONEY", 100n],
      [SYSTEM.issuance, "GROWTH", -100n],
      [A, "GROWTH", 100n],
      [SYSTEM.platform, "POINTS_LOCKED", -50n],
      [A, "POINTS_LOCKED", 50n],
    ],
  }
}

function finish(audit: LedgerAudit, balances: [string, LedgerRow["asset"], bigint][], tranches: TrancheRecord[], price = new Dec(1)): Violation[] {
  for (const [account, asset, amount] of balances) audit.balance(account, asset, amount)
  for (const t of tranches) audit.tranche(t)
  return audit.finish(price).violations
}

describe("LedgerAudit (RULES.md §1.8)", () => {
  it("passes a sound ledger and counts its transfers", () => {
    const { audit, balances } = sound()
    for (const [account, asset, amount] of balances) audit.balance(account, asset, amount)
    audit.tranche(tranche("alice", 50n))
    expect(audit.finish(new Dec(1))).toEqual({ ok: true, violations: [], transfers: 3 })
  })

  it("invariant 1: a cached balance its transfers do not explain, a sum of transfers without its balance, a transfer that is not positive", () => {
    const { audit, balances } = sound()
    audit.transfer(row(2, "CREDIT", SYSTEM.platform, A, 0n, "admin.adjust"))
    const changed = balances.map(([account, asset, amount]) => [account, asset, account === A && asset === "GROWTH" ? 101n : amount] as [string, LedgerRow["asset"], bigint])
    const violations = finish(audit, changed.filter(([account, asset]) => !(account === SYSTEM.sales && asset === "MONEY")), [tranche("alice", 50n)])
    expect(violations.map((v) => [v.invariant, v.accounts])).toEqual([
      [1, [SYSTEM.platform, A]],
      [1, [A]],
      [1, [SYSTEM.sales]],
    ])
    expect(violations[1].message).toBe("m:alice|GROWTH: balance 101, transfers sum to 100")
    expect(violations[2].message).toBe("sys:sales|MONEY: balance 0, transfers sum to -100")
  })

  it("invariant 3: a member balance below zero", () => {
    const audit = new LedgerAudit(new Dec(1))
    audit.transfer(row(1, "CREDIT", A, SYSTEM.platform, 5n, "admin.adjust"))
    const violations = finish(audit, [[A, "CREDIT", -5n], [SYSTEM.platform, "CREDIT", 5n]], [])
    expect(violations).toEqual([{ invariant: 3, message: "m:alice holds -5 CREDIT", accounts: [A] }])
  })

  it("invariant 4: the price falls without an admin adjustment, and a recorded price that is not the ledger's", () => {
    const { audit, balances } = sound()
    // money leaves the pool, no points burned: 90 / 100 < 1
    audit.transfer(row(2, "MONEY", SYSTEM.growthPool, SYSTEM.platform, 10n, "growth.exit"))
    const fell = finish(audit, [...balances.filter(([a, s]) => !(a === SYSTEM.growthPool && s === "MONEY")), [SYSTEM.growthPool, "MONEY", 90n], [SYSTEM.platform, "MONEY", 10n]], [tranche("alice", 50n)], new Dec("0.9"))
    expect(fell).toEqual([{ invariant: 4, message: "growth price fell from 1 to 0.9 in b2", accounts: [SYSTEM.growthPool] }])

    const other = sound()
    const recorded = finish(other.audit, other.balances, [tranche("alice", 50n)], new Dec("1.5"))
    expect(recorded).toEqual([
      { invariant: 4, message: "recorded growth price 1.5 differs from the ledger's 1", accounts: [SYSTEM.growthPool] },
    ])
  })

  it("invariant 4: an admin GROWTH adjustment may lower the price", () => {
    const { audit, balances } = sound()
    audit.transfer(row(2, "GROWTH", SYSTEM.issuance, A, 25n, "admin.adjust"))
    const after = balances.map(([account, asset, amount]) =>
      [account, asset, asset === "GROWTH" ? (account === A ? 125n : -125n) : amount] as [string, LedgerRow["asset"], bigint]
    )
    expect(finish(audit, after, [tranche("alice", 50n)], new Dec("0.8"))).toEqual([])
  })

  it("invariant 5: tranches that do not hold the locked points, a tranche below zero, tranches without a balance", () => {
    const { audit, balances } = sound()
    const violations = finish(audit, balances, [tranche("alice", 60n), tranche("alice", -5n), tranche("bob", 7n)])
    expect(violations.map((v) => v.message)).toEqual([
      "tranche o-alice--5 holds -5",
      "m:alice has 50 locked points, its tranches 55",
      "tranches of bob hold 7 without a ledger balance",
    ])
    expect(violations.every((v) => v.invariant === 5)).toBe(true)
  })
})
