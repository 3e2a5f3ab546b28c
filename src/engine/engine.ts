/**
 * The rules engine's operations (RULES.md §1–§6). Every operation reads through a store
 * transaction, decides everything in memory, and commits once: a rejected operation writes
 * nothing, and a repeated cause finds its earlier commit (idempotency lives in the store).
 */
import {
  type CheckoutAmounts,
  type PricedCheckout,
  type ReturnSpendInput,
  type SpendInput,
  type UndoReturnInput,
  returnSpendDue,
  returnToMember,
  spendAtCheckout,
  undoReturn,
} from "./checkout"
import type { ProgramConfig } from "./config"
import { syncWeight } from "./cycle"
import { DAY_BATCH_SIZE, closeBusinessDay } from "./day-close"
import { nextDay, openDayOf } from "./days"
import { type Dec, ZERO, floorAtoms, toAtoms } from "./decimal"
import { duplicate, reject } from "./errors"
import { convertToCredit, growthTotals, refreshPrice, sellBack } from "./growth"
import { SYSTEM, keys, memberAccount } from "./ledger"
import { Op } from "./op"
import { awardOrder, reverseOrder } from "./orders"
import type { OrderRecord, RewardsStore, StoreTx } from "./store"

/** A stored configuration version and the first business day it applies to (RULES.md §7). */
export interface ConfigVersion {
  version: number
  /** First business day it governs; null = from the start. */
  effectiveFrom: string | null
  config: ProgramConfig
}

/** The version governing business day `day`: the latest effective on or before it (RULES.md §7). */
export function configVersionAt(versions: readonly ConfigVersion[], day: string): ConfigVersion {
  let found: ConfigVersion | null = null
  for (const v of versions) {
    const from = v.effectiveFrom ?? ""
    if (from <= day && (found === null || from >= (found.effectiveFrom ?? ""))) found = v
  }
  if (!found) throw new Error(`no configuration version governs ${day}`)
  return found
}

export type AdjustableAsset = "CREDIT" | "POINTS" | "QUOTA" | "WEIGHT" | "GROWTH"

export interface JoinInput {
  memberId: string
  referrerId: string | null
  day: string
}
export interface OrderInput {
  orderId: string
  memberId: string
  /** Eligible amount (RULES.md §1.2), exact. */
  amount: Dec
  day: string
}
export interface RefundInput {
  orderId: string
  /** Omitted: everything still unrefunded. */
  amount?: Dec
  day: string
  /** The refund's own id (a Medusa refund or return); omitted: the next number. */
  refundId?: string
}
export interface PointsInput {
  memberId: string
  points: Dec
  day: string
  requestId?: string
}
export interface AdjustInput {
  memberId: string
  asset: AdjustableAsset
  amount: Dec
  reason: string
  day: string
  /** Who made it (recorded as the batch source). */
  adminId?: string
  requestId?: string
}

export interface EngineOptions {
  /** Members per day-close batch: the unit of commit and of idempotency (default 5 000). */
  dayBatchSize?: number
}

export class RewardsEngine {
  readonly dayBatchSize: number

  constructor(
    readonly store: RewardsStore,
    private readonly versions: ConfigVersion[],
    options: EngineOptions = {}
  ) {
    if (versions.length === 0) throw new Error("at least one configuration version is required")
    this.dayBatchSize = options.dayBatchSize ?? DAY_BATCH_SIZE
  }

  /** The configuration version governing business day `day` (RULES.md §7: from its own day on). */
  configAt(day: string): ConfigVersion {
    return configVersionAt(this.versions, day)
  }

  /**
   * Opens an operation on `day` under RULES.md §1.3 strict day order: the day must be the
   * open day (callers close earlier days first); the program's first event fixes its first day.
   */
  private async begin(tx: StoreTx, day: string): Promise<Op> {
    const program = await tx.getProgram()
    const open = openDayOf(program)
    if (open === null) {
      program.firstDay = day
    } else if (day < open) {
      if (program.firstDay !== null && day < program.firstDay) {
        reject("day", `${day} is before the program's first business day ${program.firstDay}`)
      }
      reject("day", `business day ${day} is already closed`)
    } else if (day > open) {
      reject("day", `business day ${open} must be closed before events of ${day} apply (RULES.md §1.3)`)
    }
    const v = this.configAt(day)
    const op = new Op(tx, v.config, v.version, day, program)
    if (open === null) op.touchProgram()
    return op
  }

  private async run<T>(day: string, fn: (op: Op) => Promise<{ key: string; source: string; result: T }>): Promise<T> {
    return this.store.transaction(async (tx) => {
      const op = await this.begin(tx, day)
      const { key, source, result } = await fn(op)
      if (op.transfers.length > 0 && (await tx.hasBatch(key))) duplicate("key", `${key} was already applied`)
      await tx.commit(op.toCommit(key, source))
      return result
    })
  }

  private nextRequestId(op: Op, given: string | undefined): string {
    if (given) return given
    op.program.opSeq += 1
    op.touchProgram()
    return `op-${op.program.opSeq}`
  }

  /** RULES.md §1.1: a member joins, with a referrer fixed at joining; the forest stays cycle-free. */
  async join(input: JoinInput): Promise<void> {
    await this.run(input.day, async (op) => {
      await joinIn(op, input)
      return { key: keys.join(input.memberId), source: input.memberId, result: undefined }
    })
  }

  /**
   * An order is placed (RULES.md §1.2–1.4). With pendingDays 0 its rewards apply now;
   * otherwise it matures in the close of day D + pendingDays. An order of 0 takes its id
   * and does nothing else.
   */
  async placeOrder(input: OrderInput): Promise<void> {
    await this.run(input.day, async (op) => {
      await placeOrderIn(op, input)
      return { key: keys.orderAward(input.orderId), source: input.orderId, result: undefined }
    })
  }

  /**
   * Many joins and orders of one day in one commit, in the given order: importing an existing
   * customer base, or building a synthetic one for a forecast. The same rules as one by one;
   * the batch is all or nothing under `key`.
   */
  async importBatch(day: string, key: string, items: ({ join: JoinInput } | { order: OrderInput })[]): Promise<void> {
    await this.run(day, async (op) => {
      for (const item of items) {
        if ("join" in item) await joinIn(op, { ...item.join, day })
        else await placeOrderIn(op, { ...item.order, day })
      }
      return { key, source: key, result: undefined }
    })
  }

  /** RULES.md §1.4–1.5: a refund (a cancellation is a refund of everything left). */
  async refund(input: RefundInput): Promise<void> {
    await this.run(input.day, async (op) => {
      const order = await op.tx.getOrder(input.orderId)
      if (!order) reject("order", `${input.orderId} is unknown`)
      if (input.day < order.placedDay) reject("day", `the refund is dated before order ${order.id}`)
      if (input.refundId !== undefined && order.refundIds.includes(input.refundId)) {
        // checked first: a re-delivered refund is done, whatever amount it carries
        duplicate("refund", `refund ${input.refundId} of ${order.id} was already applied`)
      }
      const left = order.amount.minus(order.refundedBefore).minus(order.refundedAfter)
      const amount = input.amount ?? left
      if (amount.lt(0)) reject("amount", "must not be negative")
      if (amount.gt(left)) reject("amount", `${amount.toFixed()} is more than the ${left.toFixed()} still unrefunded`)
      const refundId = input.refundId ?? unusedRefundId(order.refundIds)
      order.refundIds.push(refundId)
      op.touchOrder(order)
      if (!amount.isZero()) {
        if (order.status === "pending") {
          // before maturity: it only reduces what will mature (RULES.md §1.4)
          order.refundedBefore = order.refundedBefore.plus(amount)
          if (order.amount.eq(order.refundedBefore)) order.status = "void"
        } else if (order.status === "matured") {
          await reverseOrder(op, order, amount)
        }
      }
      return { key: keys.refund(order.id, refundId), source: order.id, result: undefined }
    })
  }

  /** RULES.md §2.3: sell growth points back at the current price. */
  async sell(input: PointsInput): Promise<bigint> {
    return this.run(input.day, async (op) => {
      const points = await this.pointsToSpend(op, input)
      const { proceeds } = points > 0n
        ? await sellBack(op, input.memberId, points, { burn: "growth.sell", proceeds: "growth.sell.proceeds" })
        : { proceeds: 0n }
      const id = this.nextRequestId(op, input.requestId)
      return { key: keys.sell(id), source: input.memberId, result: proceeds }
    })
  }

  /** RULES.md §2.5: convert growth points into stable credit. */
  async convert(input: PointsInput): Promise<bigint> {
    return this.run(input.day, async (op) => {
      const points = await this.pointsToSpend(op, input)
      const credit = points > 0n ? await convertToCredit(op, input.memberId, points) : 0n
      const id = this.nextRequestId(op, input.requestId)
      return { key: keys.convert(id), source: input.memberId, result: credit }
    })
  }

  /**
   * RULES.md §2.5, §4.7: a checkout pays (part of) an order with stable credit and released
   * points, within `creditMaxShare` and `pointsMaxShare` (src/engine/checkout.ts).
   */
  async spend(input: SpendInput): Promise<PricedCheckout> {
    return this.run(input.day, async (op) => {
      const order = { total: input.total, currencyCode: input.currencyCode }
      const priced = await spendAtCheckout(op, input.memberId, order, { credit: input.credit, points: input.points })
      return { key: keys.checkoutSpend(input.checkoutId), source: input.memberId, result: priced }
    })
  }

  /**
   * RULES.md §1.2 decision: the share of a spend that a cancellation or refund gives back
   * (cumulative, by its own transfer; debt settled first, §1.7), or all of it when the checkout
   * did not complete (`release`). Returns what went back now.
   */
  async returnSpend(input: ReturnSpendInput): Promise<CheckoutAmounts> {
    return this.run(input.day, async (op) => {
      const member = await op.findMember(input.memberId)
      if (!member) reject("member", `${input.memberId} has not joined`)
      const due = returnSpendDue(input)
      await returnToMember(op, member.id, due, input.release === true)
      const key = input.release ? keys.checkoutRelease(input.checkoutId) : keys.checkoutReturn(input.checkoutId, input.causeId)
      return { key, source: input.memberId, result: due }
    })
  }

  /** Takes a return back (the compensation of a failed workflow); a shortfall becomes debt (§1.7). */
  async undoReturn(input: UndoReturnInput): Promise<void> {
    await this.run(input.day, async (op) => {
      const member = await op.findMember(input.memberId)
      if (!member) reject("member", `${input.memberId} has not joined`)
      await op.memberBalances(member.id)
      await undoReturn(op, member.id, input.amounts)
      return { key: keys.checkoutReturnUndo(input.checkoutId, input.causeId), source: input.memberId, result: undefined }
    })
  }

  private async pointsToSpend(op: Op, input: PointsInput): Promise<bigint> {
    if (!op.cfg.schemes.growth.enabled) reject("type", "growth is not enabled")
    const member = await op.findMember(input.memberId)
    if (!member) reject("member", `${input.memberId} has not joined`)
    if (input.points.lt(0)) reject("points", "must not be negative")
    if (input.points.decimalPlaces() > op.scale) reject("points", `has more than ${op.scale} decimals`)
    const points = toAtoms(input.points, op.scale)
    const held = await op.balance(member.id, "GROWTH")
    if (points > held) reject("points", `${input.points.toFixed()} is more than the member holds`)
    return points
  }

  /** RULES.md §5: an admin adjustment of one member balance, with a required reason. */
  async adjust(input: AdjustInput): Promise<void> {
    await this.run(input.day, async (op) => {
      const s = op.cfg.schemes
      const member = await op.findMember(input.memberId)
      if (!member) reject("member", `${input.memberId} has not joined`)
      const schemeOf: Record<AdjustableAsset, boolean> = {
        CREDIT: true,
        POINTS: s.release.enabled,
        QUOTA: s.cycle.enabled,
        WEIGHT: s.cycle.enabled,
        GROWTH: s.growth.enabled,
      }
      if (!(input.asset in schemeOf)) reject("asset", `must be one of ${Object.keys(schemeOf).join(", ")}`)
      if (!schemeOf[input.asset]) reject("asset", `${input.asset} belongs to a scheme that is not enabled`)
      if (typeof input.reason !== "string" || input.reason.trim() === "") reject("reason", "is required")
      if (input.asset === "WEIGHT") {
        if (!input.amount.isInteger()) reject("amount", "a weight adjustment is a whole number")
      } else if (input.amount.decimalPlaces() > op.scale) {
        reject("amount", `has more than ${op.scale} decimals`)
      }
      const id = this.nextRequestId(op, input.requestId)
      const source = input.adminId ?? "admin"
      if (input.asset === "WEIGHT") {
        member.adminWeight += BigInt(input.amount.toFixed(0))
        op.touchMember(member)
        await syncWeight(op, member)
        return { key: keys.adjust(id), source, result: undefined }
      }
      const amount = toAtoms(input.amount, op.scale)
      const account = memberAccount(member.id)
      const held = await op.balance(member.id, input.asset)
      if (held + amount < 0n) reject("amount", `would make the ${input.asset} balance negative`)
      if (input.asset === "GROWTH") {
        // an admin issuance or burn: changes the supply and so the price (§1.8 invariant 4's exception)
        if (amount > 0n) {
          const t = await growthTotals(op)
          if (t.pool === 0n) reject("amount", "growth points cannot be issued while the growth pool is empty")
          const cap = floorAtoms(s.growth.maxSupply, op.scale)
          if (t.issued + amount > cap) reject("amount", "would take issuance above maxSupply")
          await op.post("GROWTH", SYSTEM.issuance, account, amount, "admin.adjust")
        } else {
          await op.post("GROWTH", account, SYSTEM.issuance, -amount, "admin.adjust")
        }
        await refreshPrice(op)
      } else if (amount > 0n) {
        await op.post(input.asset, SYSTEM.adjustments, account, amount, "admin.adjust")
      } else {
        await op.post(input.asset, account, SYSTEM.adjustments, -amount, "admin.adjust")
      }
      return { key: keys.adjust(id), source, result: undefined }
    })
  }

  /**
   * RULES.md §1.1: an admin changes a member's referrer (or removes it: `referrerId` null)
   * before the member's first order; a change that would make the referral graph a cycle is
   * rejected. The member's depth and every descendant's depth change with it (set-based in
   * the store, Commit.reparent). Writes no transfer; an empty batch under
   * `referrer:<member>:<request>` records who did it (the batch source).
   *
   * Decision (§1.1 "before the member's first eligible order"): the change is refused once any
   * order of the member is recorded (MemberRecord.hasOrders), an order of eligible amount 0 or
   * one still in its pending window included: those already fixed who the order's referral
   * grants would go to, and the stricter reading never moves a grant.
   */
  async changeReferrer(input: {
    memberId: string
    /** The new referrer; null removes it (the member becomes a root). */
    referrerId: string | null
    day: string
    adminId?: string
    requestId?: string
  }): Promise<void> {
    await this.store.transaction(async (tx) => {
      const op = await this.begin(tx, input.day)
      const member = await op.findMember(input.memberId)
      if (!member) reject("member", `${input.memberId} has not joined`)
      if (member.hasOrders) reject("member", "the referrer can only change before the member's first order")
      let depth = 0
      if (input.referrerId !== null) {
        if (input.referrerId === member.id) reject("referrer", "a member cannot refer themselves")
        const referrer = await op.findMember(input.referrerId)
        if (!referrer) reject("referrer", `${input.referrerId} has not joined`)
        // a cycle: the member is one of the new referrer's ancestors
        if (await tx.isAncestor(member.id, referrer.id)) {
          reject("referrer", `${input.referrerId} is in the member's downline: the referral graph would have a cycle`)
        }
        depth = referrer.depth + 1
      }
      const id = this.nextRequestId(op, input.requestId)
      const key = `referrer:${member.id}:${id}`
      if (await tx.hasBatch(key)) duplicate("key", `${key} was already applied`)
      await tx.commit({
        ...op.toCommit(key, input.adminId ?? "admin"),
        batch: { key, day: op.day, source: input.adminId ?? "admin", configVersion: op.configVersion, transfers: [] },
        reparent: { memberId: member.id, referrerId: input.referrerId, depthDelta: depth - member.depth },
      })
    })
  }

  /** Closes the open business day (RULES.md §6). Returns false if it was already closed. */
  async closeDay(day: string): Promise<boolean> {
    return closeBusinessDay(this, day)
  }

  /** Closes every unclosed day before `day`, in date order (RULES.md §1.3 catch-up). */
  async catchUpTo(day: string): Promise<void> {
    for (;;) {
      const program = await this.store.transaction((tx) => tx.getProgram())
      const open = openDayOf(program)
      if (open === null || open >= day) return
      await this.closeDay(open)
    }
  }

  /** Starts an op for engine-internal steps (the day close), bypassing the open-day check. */
  async internalOp(tx: StoreTx, day: string): Promise<Op> {
    const program = await tx.getProgram()
    const v = this.configAt(day)
    return new Op(tx, v.config, v.version, day, program)
  }
}

async function joinIn(op: Op, input: JoinInput): Promise<void> {
  if (!input.memberId) reject("member", "is required")
  if (await op.findMember(input.memberId)) duplicate("member", `${input.memberId} has already joined`)
  let depth = 0
  if (input.referrerId !== null) {
    if (input.referrerId === input.memberId) reject("referrer", "a member cannot refer themselves")
    const referrer = await op.findMember(input.referrerId)
    if (!referrer) reject("referrer", `${input.referrerId} has not joined`)
    depth = referrer.depth + 1
  }
  op.program.memberSeq += 1
  op.touchProgram()
  op.touchMember({
    id: input.memberId,
    seq: op.program.memberSeq,
    referrerId: input.referrerId,
    depth,
    joinedDay: input.day,
    netSpend: ZERO,
    purchaseWeight: 0n,
    referralWeight: 0n,
    adminWeight: 0n,
    level: null,
    hasOrders: false,
  })
}

async function placeOrderIn(op: Op, input: OrderInput): Promise<void> {
  if (!input.orderId) reject("id", "is required")
  if (input.amount.lt(0)) reject("amount", "must not be negative")
  if (await op.findOrder(input.orderId)) duplicate("id", `order ${input.orderId} was already placed`)
  const buyer = await op.findMember(input.memberId)
  if (!buyer) reject("member", `${input.memberId} has not joined`)
  op.program.orderSeq += 1
  op.touchProgram()
  const pendingDays = op.cfg.pendingDays
  let maturesOn = input.day
  for (let i = 0; i < pendingDays; i++) maturesOn = nextDay(maturesOn)
  const order: OrderRecord = {
    id: input.orderId,
    memberId: buyer.id,
    seq: op.program.orderSeq,
    placedDay: input.day,
    amount: input.amount,
    refundedBefore: ZERO,
    maturesOn,
    status: input.amount.isZero() ? "void" : "pending",
    matured: ZERO,
    refundedAfter: ZERO,
    refundIds: [],
    referrerId: null,
    granted: null,
    worth: null,
    configVersion: op.configVersion,
  }
  if (!buyer.hasOrders) {
    buyer.hasOrders = true
    op.touchMember(buyer)
  }
  op.touchOrder(order)
  if (order.status === "pending" && pendingDays === 0) await awardOrder(op, order)
}

/** An id for a refund that came without one (the simulator's): the first `#n` not yet used. */
function unusedRefundId(used: string[]): string {
  let n = used.length + 1
  while (used.includes(`#${n}`)) n++
  return `#${n}`
}
