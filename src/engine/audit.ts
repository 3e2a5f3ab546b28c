/**
 * The audit of RULES.md §1.8: recomputes every balance from the transfers and checks the
 * invariants. The simulator, the tests and the store's audit command all run this.
 */
import { Dec } from "./decimal"
import { type Asset, type Reason, SYSTEM, isMemberAccount, memberOf } from "./ledger"
import type { TrancheRecord } from "./store"

export interface LedgerRow {
  /** Position of the row's batch in commit order. */
  batch: number
  batchKey: string
  asset: Asset
  debit: string
  credit: string
  amount: bigint
  reason: Reason
}

/** What the audit reads: the transfers in commit order and the cached state to check. */
export interface LedgerReader {
  transfers(): Iterable<LedgerRow>
  cachedBalances(): Iterable<{ account: string; asset: Asset; balance: bigint }>
  allTranches(): Iterable<TrancheRecord>
  recordedPrice(): Dec
}

export interface Violation {
  invariant: 1 | 2 | 3 | 4 | 5
  message: string
  accounts: string[]
}

export interface AuditResult {
  ok: boolean
  violations: Violation[]
  transfers: number
}

const PRICE_DECIMALS = 12

/**
 * The audit fed one transfer at a time, in commit order ({@link LedgerAudit.transfer}), then the
 * cached balances and the tranches one at a time, then {@link LedgerAudit.finish}: a reader may
 * stream a ledger of any length; the audit keeps a running sum per (account, asset) and nothing
 * per transfer or per row.
 */
export class LedgerAudit {
  private readonly violations: Violation[] = []
  private readonly recomputed = new Map<string, bigint>()
  // Invariant 4 walks the transfers in commit order, tracking pool and supply.
  private pool = 0n
  private supply = 0n
  private price: Dec
  private batch = -1
  private batchKey = ""
  private touched = false
  private adminGrowth = false
  private count = 0
  /** The (account, asset) keys whose cached balance was checked. */
  private readonly checked = new Set<string>()
  private readonly lockedByTranches = new Map<string, bigint>()

  constructor(initialPrice: Dec) {
    this.price = initialPrice
  }

  private add(account: string, asset: Asset, delta: bigint): void {
    const k = `${account}|${asset}`
    this.recomputed.set(k, (this.recomputed.get(k) ?? 0n) + delta)
  }

  private closeBatch(): void {
    if (!this.touched) return
    if (this.supply > 0n) {
      const next = new Dec(this.pool.toString()).div(new Dec(this.supply.toString())).toDecimalPlaces(PRICE_DECIMALS, Dec.ROUND_FLOOR)
      if (next.lt(this.price) && !this.adminGrowth) {
        this.violations.push({
          invariant: 4,
          message: `growth price fell from ${this.price.toFixed()} to ${next.toFixed()} in ${this.batchKey}`,
          accounts: [SYSTEM.growthPool],
        })
      }
      this.price = next
    }
    this.touched = false
    this.adminGrowth = false
  }

  /** The next transfer in commit order. */
  transfer(t: LedgerRow): void {
    this.count++
    if (t.batch !== this.batch) {
      this.closeBatch()
      this.batch = t.batch
      this.batchKey = t.batchKey
    }
    if (t.amount <= 0n) {
      this.violations.push({ invariant: 1, message: `transfer of ${t.amount} in ${t.batchKey}`, accounts: [t.debit, t.credit] })
    }
    this.add(t.debit, t.asset, -t.amount)
    this.add(t.credit, t.asset, t.amount)
    if (t.asset === "MONEY" && (t.debit === SYSTEM.growthPool || t.credit === SYSTEM.growthPool)) {
      this.pool += t.credit === SYSTEM.growthPool ? t.amount : -t.amount
      this.touched = true
    }
    if (t.asset === "GROWTH") {
      // supply = issued − burned: changes when points leave issuance or reach the burn account
      if (t.debit === SYSTEM.issuance) this.supply += t.amount
      if (t.credit === SYSTEM.issuance) this.supply -= t.amount
      if (t.credit === SYSTEM.burned) this.supply -= t.amount
      if (t.debit === SYSTEM.burned) this.supply += t.amount
      this.touched = true
      if (t.reason === "admin.adjust") this.adminGrowth = true
    }
  }

  /**
   * A cached balance, after the last transfer (invariants 1 and 3). Each (account, asset) at most
   * once; zero balances may be left out.
   */
  balance(account: string, asset: Asset, balance: bigint): void {
    const k = `${account}|${asset}`
    this.checked.add(k)
    if (isMemberAccount(account) && balance < 0n) {
      this.violations.push({ invariant: 3, message: `${account} holds ${balance} ${asset}`, accounts: [account] })
    }
    const fromTransfers = this.recomputed.get(k) ?? 0n
    if (balance !== fromTransfers) {
      this.violations.push({ invariant: 1, message: `${k}: balance ${balance}, transfers sum to ${fromTransfers}`, accounts: [account] })
    }
  }

  /** A tranche as it stands, after the last transfer (invariant 5). */
  tranche(t: TrancheRecord): void {
    if (t.remaining < 0n) {
      this.violations.push({ invariant: 5, message: `tranche ${t.orderId} holds ${t.remaining}`, accounts: [`m:${t.memberId}`] })
    }
    this.lockedByTranches.set(t.memberId, (this.lockedByTranches.get(t.memberId) ?? 0n) + t.remaining)
  }

  /** After every transfer, balance and tranche: the remaining checks, and the result. */
  finish(recordedPrice: Dec): AuditResult {
    const { violations, recomputed, lockedByTranches } = this
    this.closeBatch()
    if (!this.price.eq(recordedPrice)) {
      violations.push({
        invariant: 4,
        message: `recorded growth price ${recordedPrice.toFixed()} differs from the ledger's ${this.price.toFixed()}`,
        accounts: [SYSTEM.growthPool],
      })
    }

    // Invariant 1, the other way: a sum of transfers without its cached balance
    for (const [k, fromTransfers] of recomputed) {
      if (fromTransfers !== 0n && !this.checked.has(k)) {
        violations.push({ invariant: 1, message: `${k}: balance 0, transfers sum to ${fromTransfers}`, accounts: [k.slice(0, k.lastIndexOf("|"))] })
      }
    }

    // Invariant 2: each asset sums to zero over all accounts.
    const perAsset = new Map<string, bigint>()
    for (const [k, v] of recomputed) {
      const asset = k.slice(k.lastIndexOf("|") + 1)
      perAsset.set(asset, (perAsset.get(asset) ?? 0n) + v)
    }
    for (const [asset, sum] of perAsset) {
      if (sum !== 0n) violations.push({ invariant: 2, message: `${asset} sums to ${sum}`, accounts: [] })
    }

    // Invariant 5: locked points are exactly what the tranches hold.
    for (const [k, v] of recomputed) {
      if (!k.endsWith("|POINTS_LOCKED")) continue
      const account = k.slice(0, k.lastIndexOf("|"))
      if (!isMemberAccount(account)) continue
      const inTranches = lockedByTranches.get(memberOf(account)) ?? 0n
      if (inTranches !== v) {
        violations.push({ invariant: 5, message: `${account} has ${v} locked points, its tranches ${inTranches}`, accounts: [account] })
      }
    }
    for (const [memberId, v] of lockedByTranches) {
      if (v !== 0n && !recomputed.has(`m:${memberId}|POINTS_LOCKED`)) {
        violations.push({ invariant: 5, message: `tranches of ${memberId} hold ${v} without a ledger balance`, accounts: [`m:${memberId}`] })
      }
    }
    return { ok: violations.length === 0, violations, transfers: this.count }
  }
}

/** The whole audit over a reader whose transfers are at hand (the simulator, the memory store). */
export function audit(reader: LedgerReader, initialPrice: Dec): AuditResult {
  const check = new LedgerAudit(initialPrice)
  for (const t of reader.transfers()) check.transfer(t)
  for (const b of reader.cachedBalances()) check.balance(b.account, b.asset, b.balance)
  for (const t of reader.allTranches()) check.tranche(t)
  return check.finish(reader.recordedPrice())
}
