import type { ProgramConfig } from "./config"
import { Dec } from "./decimal"
import {
  MEMBER_ASSETS,
  SYSTEM,
  isMemberAccount,
  memberAccount,
  memberOf,
  type Asset,
  type MemberAsset,
  type Reason,
  type Transfer,
} from "./ledger"
import type {
  Commit,
  MemberBalances,
  MemberRecord,
  OrderRecord,
  ProgramState,
  StoreTx,
  TrancheRecord,
} from "./store"

export function emptyBalances(): MemberBalances {
  const b = {} as MemberBalances
  for (const a of MEMBER_ASSETS) b[a] = 0n
  return b
}

/** The debt asset that an inflow of `asset` settles first (RULES.md §1.7). */
export const DEBT_OF: Partial<Record<MemberAsset, MemberAsset>> = {
  GROWTH: "DEBT_GROWTH",
  CREDIT: "DEBT_CREDIT",
  POINTS: "DEBT_POINTS",
}

/**
 * One operation in progress: what it read, the transfers it posts and the records it
 * changed. Nothing reaches the store before {@link Op.commit}, so a rejected operation
 * writes nothing. Balances read through the op include the op's own transfers.
 */
export class Op {
  readonly transfers: Transfer[] = []
  private readonly members = new Map<string, MemberRecord>()
  private readonly dirtyMembers = new Set<string>()
  private readonly balances = new Map<string, MemberBalances>()
  private readonly system = new Map<string, Map<Asset, bigint>>()
  private readonly orders = new Map<string, OrderRecord>()
  private readonly tranches = new Map<string, TrancheRecord[]>()
  private readonly dirtyTranches = new Map<string, TrancheRecord>()
  private readonly daySales: { day: string; delta: Dec }[] = []
  private programDirty = false

  constructor(
    readonly tx: StoreTx,
    readonly cfg: ProgramConfig,
    readonly configVersion: number,
    readonly day: string,
    readonly program: ProgramState
  ) {}

  get scale(): number {
    return this.cfg.scale
  }

  async member(id: string): Promise<MemberRecord> {
    const cached = this.members.get(id)
    if (cached) return cached
    const m = await this.tx.getMember(id)
    if (!m) throw new Error(`internal: member ${id} not found`)
    this.members.set(id, m)
    return m
  }

  async findMember(id: string): Promise<MemberRecord | null> {
    const cached = this.members.get(id)
    if (cached) return cached
    const m = await this.tx.getMember(id)
    if (m) this.members.set(id, m)
    return m
  }

  touchMember(m: MemberRecord): void {
    this.members.set(m.id, m)
    this.dirtyMembers.add(m.id)
  }

  async memberBalances(id: string): Promise<MemberBalances> {
    let b = this.balances.get(id)
    if (!b) {
      b = await this.tx.getMemberBalances(id)
      this.balances.set(id, b)
    }
    return b
  }

  async balance(id: string, asset: MemberAsset): Promise<bigint> {
    return (await this.memberBalances(id))[asset]
  }

  async systemBalance(account: string, asset: Asset): Promise<bigint> {
    let byAsset = this.system.get(account)
    if (!byAsset) {
      byAsset = new Map()
      this.system.set(account, byAsset)
    }
    let v = byAsset.get(asset)
    if (v === undefined) {
      v = await this.tx.getSystemBalance(account, asset)
      byAsset.set(asset, v)
    }
    return v
  }

  async tranchesOf(memberId: string): Promise<TrancheRecord[]> {
    let list = this.tranches.get(memberId)
    if (!list) {
      list = await this.tx.getTranches(memberId)
      this.tranches.set(memberId, list)
    }
    return list
  }

  async addTranche(t: TrancheRecord): Promise<void> {
    const list = await this.tranchesOf(t.memberId)
    list.push(t)
    this.dirtyTranches.set(t.orderId, t)
  }

  touchTranche(t: TrancheRecord): void {
    this.dirtyTranches.set(t.orderId, t)
  }

  async findOrder(id: string): Promise<OrderRecord | null> {
    const cached = this.orders.get(id)
    if (cached) return cached
    return this.tx.getOrder(id)
  }

  touchOrder(o: OrderRecord): void {
    this.orders.set(o.id, o)
  }

  touchProgram(): void {
    this.programDirty = true
  }

  addDaySales(day: string, delta: Dec): void {
    this.daySales.push({ day, delta })
  }

  /**
   * Posts one transfer. Member balances it touches must have been read through this op
   * (so later reads in the op see it); system balances are tracked as they change.
   */
  async post(asset: Asset, debit: string, credit: string, amount: bigint, reason: Reason): Promise<void> {
    if (amount === 0n) return
    if (amount < 0n) throw new Error(`internal: negative transfer ${amount} ${asset} ${reason}`)
    await this.apply(debit, asset, -amount)
    await this.apply(credit, asset, amount)
    this.transfers.push({ asset, debit, credit, amount, reason })
  }

  private async apply(account: string, asset: Asset, delta: bigint): Promise<void> {
    if (isMemberAccount(account)) {
      const b = await this.memberBalances(memberOf(account))
      b[asset as MemberAsset] += delta
    } else {
      const v = await this.systemBalance(account, asset)
      this.system.get(account)!.set(asset, v + delta)
    }
  }

  /**
   * An inflow of `asset` to a member: it settles the member's debt in that asset first and
   * only the rest is credited (RULES.md §1.7). The settled part is never paid out: for growth
   * points it stays with issuance ("settled growth points return to issuance").
   * Returns the part credited.
   */
  async inflow(
    memberId: string,
    asset: MemberAsset,
    from: string,
    amount: bigint,
    reason: Reason
  ): Promise<bigint> {
    const debtAsset = DEBT_OF[asset]
    let settled = 0n
    if (debtAsset) {
      const debt = await this.balance(memberId, debtAsset)
      settled = debt < amount ? debt : amount
      await this.post(debtAsset, memberAccount(memberId), SYSTEM.clawback, settled, "debt.settle")
    }
    await this.post(asset, from, memberAccount(memberId), amount - settled, reason)
    return amount - settled
  }

  /**
   * RULES.md §1.5, §1.7: takes `amount` of `asset` back from a member to `to`; the part the
   * member no longer holds becomes clawback debt in that asset.
   */
  async clawBack(memberId: string, asset: "GROWTH" | "CREDIT" | "POINTS", to: string, amount: bigint): Promise<void> {
    const held = await this.balance(memberId, asset)
    const taken = held < amount ? held : amount
    const account = memberAccount(memberId)
    await this.post(asset, account, to, taken, "refund.reverse")
    await this.post(DEBT_OF[asset]!, SYSTEM.clawback, account, amount - taken, "debt.incur")
  }

  /** Everything this op wrote, as one commit under `key`. */
  toCommit(key: string, source: string): Commit {
    const commit: Commit = {}
    if (this.transfers.length > 0) {
      commit.batch = {
        key,
        day: this.day,
        source,
        configVersion: this.configVersion,
        transfers: this.transfers,
      }
    }
    if (this.dirtyMembers.size > 0) {
      commit.members = [...this.dirtyMembers].map((id) => this.members.get(id)!)
    }
    if (this.orders.size > 0) commit.orders = [...this.orders.values()]
    if (this.dirtyTranches.size > 0) commit.tranches = [...this.dirtyTranches.values()]
    if (this.daySales.length > 0) commit.daySales = this.daySales
    if (this.programDirty) commit.program = this.program
    return commit
  }
}
