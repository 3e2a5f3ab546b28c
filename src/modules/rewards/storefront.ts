/**
 * The member's side of the program (issue 6): what the storefront shows a signed-in customer
 * (balances with their meaning, transfer history, referral link, team, growth price) and the
 * checkout's ledger operations — paying with stable credit and released points when a cart
 * completes, giving them back when the checkout fails or the order is canceled or refunded
 * (RULES.md §2.5, §4.7, §1.2 decision, §1.7).
 *
 * Every amount is decided by the engine (src/engine/checkout.ts). Writes run in one
 * transaction under the program lock, like every other writer of the rewards tables, and the
 * table `rewards_checkout` (what a cart spent and what came back) is written in that same
 * transaction: the ledger and it never disagree.
 */
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { MedusaError, generateEntityId } from "@medusajs/framework/utils"
import {
  type CheckoutAmounts,
  type CheckoutHeld,
  type CheckoutLimits,
  type PricedCheckout,
  checkoutLimits,
  priceCheckout,
} from "../../engine/checkout"
import type { ProgramConfig } from "../../engine/config"
import { Dec, fromAtoms } from "../../engine/decimal"
import { openDayOf } from "../../engine/days"
import { type ConfigVersion, type RewardsEngine, configVersionAt } from "../../engine/engine"
import { RulesError } from "../../engine/errors"
import { MEMBER_ASSETS, type MemberAsset, type Reason, isMemberAccount, memberAccount } from "../../engine/ledger"
import type { RewardsModuleOptions } from "./types"
import { ledgerPage } from "./ledger-read"
import { BALANCE_COLUMNS } from "./member-days"
import { lastRows, lockingProgram } from "./postgres-store"

type Row = Record<string, any>
type Db = Knex | Knex.Transaction

async function rows(db: Db, sql: string, bindings: readonly unknown[] = []): Promise<Row[]> {
  return (await db.raw(sql, bindings as Knex.RawBinding[])).rows as Row[]
}

const LIVE = "deleted_at is null"

/** What the service lends the storefront (its own knex, configuration, clock and engine). */
export interface StorefrontDeps {
  knex(): Knex
  versions(): Promise<ConfigVersion[]>
  today(versions: ConfigVersion[]): Promise<string>
  engine(versions: ConfigVersion[], trx: Knex.Transaction): RewardsEngine
  options(): RewardsModuleOptions
}

// ---------------------------------------------------------------------------------------
// Meanings shown next to balances and transfers
// ---------------------------------------------------------------------------------------

type Scheme = "growth" | "cycle" | "release"

/** Every member asset with its scheme and what it means to the member (RULES.md §1.8). */
export const ASSET_MEANINGS: Record<MemberAsset, { scheme: Scheme | null; label: string; meaning: string }> = {
  GROWTH: {
    scheme: "growth",
    label: "Growth points",
    meaning: "Points priced at growth pool ÷ supply. Sell them back for stable credit (a fee stays in the pool) or convert them into stable credit.",
  },
  CREDIT: {
    scheme: null,
    label: "Stable credit",
    meaning: "Your wallet: 1 credit = 1 unit of the program currency. Pays for orders at checkout, up to the share of the order total the program allows.",
  },
  EXIT_CAP: {
    scheme: "growth",
    label: "Exit cap",
    meaning: "When your growth points are worth this much, the daily close sells them all back for you.",
  },
  QUOTA: {
    scheme: "cycle",
    label: "Payout quota",
    meaning: "How much the daily cycle payouts may still pay you; every payout is deducted from it.",
  },
  WEIGHT: {
    scheme: "cycle",
    label: "Weight",
    meaning: "Your share of the daily payout pool and the tier you are in, from your spending and your referrals.",
  },
  POINTS_LOCKED: {
    scheme: "release",
    label: "Locked points",
    meaning: "Points granted by large orders, released into your points a little every day (faster with your referrals' releases).",
  },
  POINTS: {
    scheme: "release",
    label: "Released points",
    meaning: "Points that pay for orders at checkout at the program's point value, up to the share of the order total it allows.",
  },
  DEBT_GROWTH: {
    scheme: "growth",
    label: "Growth point debt",
    meaning: "Growth points a refund took back after you no longer held them; your next growth points settle it first.",
  },
  DEBT_CREDIT: {
    scheme: null,
    label: "Credit debt",
    meaning: "Credit a refund took back after you had spent it; your next credit settles it first, and credit cannot pay at checkout until then.",
  },
  DEBT_POINTS: {
    scheme: "release",
    label: "Points debt",
    meaning: "Released points a refund took back after you had used them; your next released points settle it first.",
  },
}

/** Why a transfer happened, as a member reads it. Unlisted reasons show their code. */
export const REASON_MEANINGS: Partial<Record<Reason, string>> = {
  "growth.contribution": "Part of a sale paid into the growth pool",
  "growth.issue.buyer": "Growth points for your order",
  "growth.issue.referrer": "Growth points for an order of someone you referred",
  "growth.sell": "Growth points sold back",
  "growth.sell.proceeds": "Stable credit from a sell-back (after the fee)",
  "growth.convert": "Growth points converted",
  "growth.convert.credit": "Stable credit from a conversion",
  "growth.exit": "Growth points sold at your exit cap",
  "growth.exit.proceeds": "Stable credit from the sale at your exit cap",
  "growth.exit.cap": "Exit cap used by the sale at your exit cap",
  "exitcap.grant": "Exit cap for your order",
  "cycle.quota": "Payout quota for your order",
  "cycle.quota.referral": "Payout quota for an order of someone you referred",
  "cycle.weight": "Weight from your spending or your referrals",
  "cycle.pool": "Part of the day's sales paid into the cycle pool",
  "cycle.payout": "Daily cycle payout",
  "cycle.payout.quota": "Payout quota used by the daily payout",
  "cycle.payout.funding": "Money funding the daily payouts",
  "cycle.returned": "Unpaid part of the day's pools returned to the platform",
  "release.tranche": "Locked points for your order",
  "release.base": "Locked points released today",
  "release.base.points": "Points released today",
  "release.acceleration": "Locked points released early by your referrals' releases",
  "release.acceleration.points": "Points released early by your referrals' releases",
  "release.forfeit": "Early release beyond your locked points (forfeited)",
  "refund.reverse": "Taken back because an order was refunded or canceled",
  "debt.incur": "Debt: a refund took back more than you held",
  "debt.settle": "Debt settled from new rewards",
  "admin.adjust": "Adjusted by the store",
  "checkout.credit": "Stable credit used to pay an order",
  "checkout.points": "Points used to pay an order",
  "checkout.return.credit": "Stable credit given back: the order was canceled or refunded",
  "checkout.return.points": "Points given back: the order was canceled or refunded",
  "checkout.release.credit": "Stable credit given back: the checkout did not complete",
  "checkout.release.points": "Points given back: the checkout did not complete",
  "checkout.return.undo": "A return of credit or points undone",
}

// ---------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------

export interface BalanceView {
  asset: MemberAsset
  /** Decimal string (weight in whole units). */
  amount: string
  label: string
  meaning: string
  scheme: Scheme | null
  /** Whether the asset's scheme is enabled (credit and its debt always are). */
  enabled: boolean
}

export interface MemberRewardsView {
  customer_id: string
  referral_code: string
  referral_link: string | null
  joined_day: string
  has_referrer: boolean
  /** Membership level index of `release` (RULES.md §4.1), null for none. */
  level: number | null
  star_level: number
  currency: string
  schemes: Record<Scheme, boolean>
  balances: BalanceView[]
  checkout: { credit_max_share: string; points_max_share: string; point_value: string }
}

export interface TransferView {
  id: number
  day: string
  asset: string
  /** Signed from the member's side: + came in, − went out (for a debt asset, + is more debt). */
  amount: string
  direction: "in" | "out"
  reason: string
  meaning: string
  /** The system account on the other side (`platform`, `issuance`, …). */
  counterparty: string
  /** What caused it: the batch's idempotency key (an order, a request, a day close). */
  cause: string
  created_at: string
}

export interface TransferPage {
  transfers: TransferView[]
  /** Pass as `cursor` for the next (older) page; null when there is none. */
  next_cursor: string | null
  limit: number
}

export interface TeamView {
  direct: number
  total: number
  star_level: number
  level: number | null
  currency: string
  performance: {
    /** Team performance as the last day close counted it (RULES.md §4.4): star levels use it. */
    counted: string
    /** The downline's matured orders, items net of tax and of refunds, split by how they were paid (§1.2). */
    cash: string
    points: string
    total: string
  }
}

export interface GrowthView {
  enabled: boolean
  currency: string
  price: string
  sell_fee_rate: string
  stable_rate: string
  held: string
  /** held × price, rounded down: what the points are worth before any fee. */
  value: string
}

function notMember(customerId: string): never {
  throw new MedusaError(MedusaError.Types.NOT_FOUND, `member: customer ${customerId} has not joined the rewards program`)
}

function amountOf(asset: string, atoms: string | bigint | null | undefined, scale: number): string {
  const a = BigInt(atoms ?? 0)
  return asset === "WEIGHT" ? a.toString() : fromAtoms(a, scale).toFixed()
}

/** A referral link on the storefront: `storefrontUrl` with `?ref=<code>` (null without the option). */
export function referralLink(storefrontUrl: string | undefined, code: string): string | null {
  if (!storefrontUrl) return null
  try {
    const url = new URL(storefrontUrl)
    url.searchParams.set("ref", code)
    return url.toString()
  } catch {
    return null
  }
}

function schemesOf(cfg: ProgramConfig): Record<Scheme, boolean> {
  return { growth: cfg.schemes.growth.enabled, cycle: cfg.schemes.cycle.enabled, release: cfg.schemes.release.enabled }
}

/** Upper-case code to MedusaError: a rule refusal is a 400 naming the field. */
function medusaErrorOf(e: unknown): unknown {
  if (e instanceof RulesError) {
    return new MedusaError(e.code === "duplicate" ? MedusaError.Types.DUPLICATE_ERROR : MedusaError.Types.INVALID_DATA, e.message)
  }
  return e
}

// ---------------------------------------------------------------------------------------
// The storefront
// ---------------------------------------------------------------------------------------

/** A cart's use of credit and points, as `rewards_checkout` keeps it. */
export interface CheckoutRecord {
  cartId: string
  attempt: number
  customerId: string
  orderId: string | null
  status: "spent" | "released"
  spent: CheckoutAmounts
  returned: CheckoutAmounts
  /** Money paid: credit (1:1) and the points' value, decimal strings. */
  creditValue: string
  pointsValue: string
  returnedShare: string
}

function toCheckout(r: Row): CheckoutRecord {
  return {
    cartId: r.cart_id,
    attempt: r.attempt,
    customerId: r.customer_id,
    orderId: r.order_id,
    status: r.status,
    spent: { credit: BigInt(r.credit), points: BigInt(r.points) },
    returned: { credit: BigInt(r.returned_credit), points: BigInt(r.returned_points) },
    creditValue: new Dec(r.credit_value).toFixed(),
    pointsValue: new Dec(r.points_value).toFixed(),
    returnedShare: new Dec(r.returned_share).toFixed(),
  }
}

const CHECKOUT_COLUMNS = `cart_id, attempt, customer_id, order_id, status, credit::text as credit, points::text as points,
  credit_value::text as credit_value, points_value::text as points_value, returned_credit::text as returned_credit,
  returned_points::text as returned_points, returned_share::text as returned_share`

export class RewardsStorefront {
  constructor(private readonly deps: StorefrontDeps) {}

  private async current(): Promise<{ cfg: ProgramConfig; scale: number; price: Dec; today: string }> {
    const versions = await this.deps.versions()
    const today = await this.deps.today(versions)
    const [p] = await rows(this.deps.knex(), `select scale, growth_price::text as price from rewards_program where ${LIVE}`)
    return { cfg: configVersionAt(versions, today).config, scale: p.scale, price: new Dec(p.price), today }
  }

  private async member(customerId: string): Promise<Row> {
    const [m] = await rows(
      this.deps.knex(),
      `select seq, customer_id, referral_code, referrer_id, joined_day, level, star_level, team_performance::text as team_performance
         from rewards_member_now where customer_id = ?`,
      [customerId]
    )
    if (!m) notMember(customerId)
    return m
  }

  /** The member's balances now (its day snapshot and what operations changed since). */
  private async balanceAtoms(db: Db, customerId: string): Promise<Record<string, bigint>> {
    const [r] = await rows(db, `select ${BALANCE_COLUMNS.map((c) => `${c}::text as ${c}`).join(", ")} from rewards_member_now where customer_id = ?`, [
      customerId,
    ])
    const out: Record<string, bigint> = {}
    if (r) MEMBER_ASSETS.forEach((a, i) => (out[a] = BigInt(r[BALANCE_COLUMNS[i]])))
    return out
  }

  /** Every balance with its meaning, and the member's place in the program. */
  async memberRewards(customerId: string): Promise<MemberRewardsView> {
    const m = await this.member(customerId)
    const { cfg, scale } = await this.current()
    const atoms = await this.balanceAtoms(this.deps.knex(), customerId)
    const schemes = schemesOf(cfg)
    return {
      customer_id: m.customer_id,
      referral_code: m.referral_code,
      referral_link: referralLink(this.deps.options().storefrontUrl, m.referral_code),
      joined_day: m.joined_day,
      has_referrer: m.referrer_id !== null,
      level: m.level,
      star_level: m.star_level,
      currency: cfg.currency,
      schemes,
      balances: MEMBER_ASSETS.map((asset) => {
        const info = ASSET_MEANINGS[asset]
        return {
          asset,
          amount: amountOf(asset, atoms[asset], scale),
          label: info.label,
          meaning: info.meaning,
          scheme: info.scheme,
          enabled: info.scheme === null || schemes[info.scheme],
        }
      }),
      checkout: {
        credit_max_share: cfg.creditMaxShare.toFixed(),
        points_max_share: cfg.schemes.release.pointsMaxShare.toFixed(),
        point_value: cfg.schemes.release.pointValue.toFixed(),
      },
    }
  }

  /**
   * The member's transfers, newest first, by keyset on the transfer id: its operations' transfers
   * (the member-account index) and its day closes' postings (each day partition's primary key),
   * merged (ledger-read.ts).
   */
  async memberTransfers(customerId: string, page: { limit: number; cursor?: string | null; asset?: string | null }): Promise<TransferPage> {
    const m = await this.member(customerId)
    const { scale } = await this.current()
    const account = memberAccount(customerId)
    const before = page.cursor ? Number(page.cursor) : null
    if (before !== null && !(Number.isSafeInteger(before) && before > 0)) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "cursor: is not a cursor this endpoint returned")
    }
    const limit = page.limit
    const list = (
      await ledgerPage(this.deps.knex(), {
        member: { customerId, seq: m.seq },
        asset: page.asset ?? undefined,
        before: before !== null ? String(before) : null,
        limit: limit + 1,
      })
    ).map((t) => ({ ...t, created_at: t.createdAt }))
    const more = list.length > limit
    const shown = list.slice(0, limit)
    return {
      transfers: shown.map((t) => {
        const incoming = t.credit === account
        const other = incoming ? t.debit : t.credit
        const amount = amountOf(t.asset, t.amount, scale)
        return {
          id: Number(t.id),
          day: t.day,
          asset: t.asset,
          amount: incoming ? amount : `-${amount}`,
          direction: incoming ? "in" : "out",
          reason: t.reason,
          meaning: REASON_MEANINGS[t.reason as Reason] ?? t.reason,
          counterparty: isMemberAccount(other) ? "member" : String(other).replace(/^sys:/, ""),
          cause: t.key,
          created_at: new Date(t.created_at).toISOString(),
        }
      }),
      next_cursor: more ? String(shown[shown.length - 1].id) : null,
      limit,
    }
  }

  /** The member's referral code and share link (`storefrontUrl` module option). */
  async referral(customerId: string): Promise<{ code: string; link: string | null }> {
    const m = await this.member(customerId)
    return { code: m.referral_code, link: referralLink(this.deps.options().storefrontUrl, m.referral_code) }
  }

  /**
   * The member's team (RULES.md §7: "a member can view their own"): direct referrals, the whole
   * downline, the team performance the last day close counted (star levels use it, §4.4) and
   * the downline's orders split into the part paid with money and the part paid with credit or
   * points (§1.2).
   *
   * Decision (§1.2 "team performance records both parts separately", §7): the split is of the
   * orders' items net of tax (the eligible basis, in the program currency), for orders that
   * matured — and orders paid wholly with credit or points, which never mature (eligible 0) —
   * net of refunds: an order paid with share s = (credit + points × pointValue) ÷ total counts
   * items × s as points part and items × (1 − s) as cash part. Rounded down to the minor unit.
   */
  async team(customerId: string): Promise<TeamView> {
    const m = await this.member(customerId)
    const { cfg } = await this.current()
    const knex = this.deps.knex()
    const down = `with recursive down as (
        select customer_id, 1 as gen from rewards_member where referrer_id = ? and ${LIVE}
        union all
        select c.customer_id, d.gen + 1 from rewards_member c join down d on c.referrer_id = d.customer_id where c.${LIVE}
      )`
    const [counts] = await rows(
      knex,
      `${down} select count(*) filter (where gen = 1)::int as direct, count(*)::int as total from down`,
      [customerId]
    )
    const orders = await rows(
      knex,
      `${down}
       select o.order_id, o.amount::text as amount, (o.refunded_before + o.refunded_after)::text as refunded, e.payload -> 'figures' as figures
         from rewards_order o
         join down d on d.customer_id = o.member_id
         join rewards_event e on e.key = 'order:' || o.order_id || ':placed' and e.${LIVE}
        where o.${LIVE} and (o.status = 'matured' or (o.status = 'void' and o.amount = 0))`,
      [customerId]
    )
    const unpaidShare = new Map<string, Dec>()
    const whollyPaid = orders.filter((o) => new Dec(o.amount).isZero()).map((o) => o.order_id)
    if (whollyPaid.length > 0) {
      const refunds = await rows(
        knex,
        `select payload ->> 'orderId' as order_id, max((payload ->> 'refundedShare')::numeric)::text as share
           from rewards_event where kind = 'refund' and status = 'applied' and ${LIVE} and payload ->> 'orderId' = any(?::text[])
          group by 1`,
        [whollyPaid]
      )
      for (const r of refunds) unpaidShare.set(r.order_id, new Dec(r.share))
    }
    const d = Math.min(2, cfg.scale)
    let cash = new Dec(0)
    let points = new Dec(0)
    for (const o of orders) {
      const f = (o.figures ?? {}) as Row
      const code = String(f.currencyCode ?? "").toUpperCase()
      const rate = code === cfg.currency ? new Dec(1) : cfg.exchangeRates[code]
      if (!rate) continue
      const items = safeDec(f.items).times(rate)
      const total = safeDec(f.total)
      const paid = safeDec(f.creditUsed).plus(safeDec(f.pointsUsed).times(cfg.schemes.release.pointValue))
      const share = total.gt(0) ? Dec.min(1, Dec.max(0, paid.div(total))) : new Dec(0)
      const amount = new Dec(o.amount)
      const kept = amount.gt(0)
        ? new Dec(1).minus(new Dec(o.refunded).div(amount))
        : new Dec(1).minus(unpaidShare.get(o.order_id) ?? 0)
      points = points.plus(items.times(share).times(kept))
      cash = cash.plus(items.times(new Dec(1).minus(share)).times(kept))
    }
    const floor = (x: Dec) => x.toDecimalPlaces(d, Dec.ROUND_DOWN)
    return {
      direct: counts.direct,
      total: counts.total,
      star_level: m.star_level,
      level: m.level,
      currency: cfg.currency,
      performance: {
        counted: new Dec(m.team_performance).toFixed(),
        cash: floor(cash).toFixed(),
        points: floor(points).toFixed(),
        total: floor(cash).plus(floor(points)).toFixed(),
      },
    }
  }

  /** The growth price and what the member's growth points are worth (RULES.md §2.1). */
  async growth(customerId: string): Promise<GrowthView> {
    await this.member(customerId)
    const { cfg, scale, price } = await this.current()
    const held = (await this.balanceAtoms(this.deps.knex(), customerId)).GROWTH ?? 0n
    const g = cfg.schemes.growth
    return {
      enabled: g.enabled,
      currency: cfg.currency,
      price: price.toFixed(),
      sell_fee_rate: g.sellFeeRate.toFixed(),
      stable_rate: g.stableRate.toFixed(),
      held: fromAtoms(held, scale).toFixed(),
      value: fromAtoms(held, scale).times(price).toDecimalPlaces(scale, Dec.ROUND_DOWN).toFixed(),
    }
  }

  // ---- checkout ----

  private async held(db: Db, customerId: string): Promise<CheckoutHeld> {
    const b = await this.balanceAtoms(db, customerId)
    return { credit: b.CREDIT ?? 0n, points: b.POINTS ?? 0n, creditDebt: b.DEBT_CREDIT ?? 0n }
  }

  /** What the member may pay an order of `total` with (after `credit`, if given). */
  async checkoutLimits(input: { customerId: string; total: Dec; currencyCode: string; credit?: Dec }): Promise<CheckoutLimits & { held: { credit: string; points: string } }> {
    await this.member(input.customerId)
    const { cfg, scale } = await this.current()
    const held = await this.held(this.deps.knex(), input.customerId)
    try {
      const limits = checkoutLimits(cfg, { total: input.total, currencyCode: input.currencyCode }, held, input.credit)
      return { ...limits, held: { credit: fromAtoms(held.credit, scale).toFixed(), points: fromAtoms(held.points, scale).toFixed() } }
    } catch (e) {
      throw medusaErrorOf(e)
    }
  }

  /** Prices a request against the member's balances now (the rules of the spend, nothing written). */
  async quoteCheckout(input: { customerId: string; total: Dec; currencyCode: string; credit: Dec; points: Dec }): Promise<PricedCheckout> {
    await this.member(input.customerId)
    const { cfg } = await this.current()
    const held = await this.held(this.deps.knex(), input.customerId)
    try {
      return priceCheckout(cfg, { total: input.total, currencyCode: input.currencyCode }, held, { credit: input.credit, points: input.points })
    } catch (e) {
      throw medusaErrorOf(e)
    }
  }

  /** Storefront writes of this process, one after another (see {@link write}). */
  private queue_: Promise<unknown> = Promise.resolve()

  /**
   * One write under the program lock, on the open business day (as the service's `operate`):
   * a rule refusal becomes a 400 naming the field and writes nothing. Writes of this process
   * queue here before taking a pool connection: fifty checkouts at once hold one connection
   * waiting for the program lock, not the whole pool (other processes queue on the lock).
   */
  private write<T>(fn: (trx: Knex.Transaction, engine: RewardsEngine, day: string) => Promise<T>): Promise<T> {
    const run = this.queue_.then(() => this.writeNow(fn))
    this.queue_ = run.catch(() => undefined)
    return run
  }

  private async writeNow<T>(fn: (trx: Knex.Transaction, engine: RewardsEngine, day: string) => Promise<T>): Promise<T> {
    const versions = await this.deps.versions()
    const today = await this.deps.today(versions)
    try {
      return await this.deps.knex().transaction(async (trx) => {
        const [p] = lastRows(await trx.raw(lockingProgram("first_day, last_closed_day")))
        const open = openDayOf({ firstDay: p.first_day, lastClosedDay: p.last_closed_day })
        const day = open !== null && open < today ? open : today
        return fn(trx, this.deps.engine(versions, trx), day)
      })
    } catch (e) {
      throw medusaErrorOf(e)
    }
  }

  async checkoutOf(cartId: string): Promise<CheckoutRecord | null> {
    const [r] = await rows(this.deps.knex(), `select ${CHECKOUT_COLUMNS} from rewards_checkout where cart_id = ? and ${LIVE}`, [cartId])
    return r ? toCheckout(r) : null
  }

  /**
   * A cart completes: its credit and points are spent (RULES.md §2.5, §4.7), atomically with
   * every other write of the program (the program lock), so two completions can never spend
   * the same balance. Idempotent per cart: a cart already spent returns its record.
   */
  async spend(input: {
    cartId: string
    customerId: string
    total: Dec
    currencyCode: string
    credit: Dec
    points: Dec
    /** The money the cart's points line pays: it must still be what the points are worth. */
    pointsValue?: Dec
  }): Promise<CheckoutRecord | null> {
    if (input.credit.isZero() && input.points.isZero()) return null
    return this.write(async (trx, engine, day) => {
      const [prior] = await rows(trx, `select ${CHECKOUT_COLUMNS} from rewards_checkout where cart_id = ? and ${LIVE} for update`, [
        input.cartId,
      ])
      if (prior?.status === "spent") return toCheckout(prior)
      const attempt = prior ? prior.attempt + 1 : 1
      const priced = await engine.spend({
        memberId: input.customerId,
        checkoutId: `${input.cartId}#${attempt}`,
        total: input.total,
        currencyCode: input.currencyCode,
        credit: input.credit,
        points: input.points,
        day,
      })
      if (input.pointsValue !== undefined && !priced.pointsValue.eq(input.pointsValue)) {
        // thrown inside the transaction: the spend above is rolled back
        throw new MedusaError(
          MedusaError.Types.INVALID_DATA,
          `points: ${input.points.toFixed()} points are now worth ${priced.pointsValue.toFixed()}, not the ${input.pointsValue.toFixed()} applied to the cart (the point value changed); apply them again`
        )
      }
      const values = [
        attempt,
        input.customerId,
        input.currencyCode,
        priced.credit.toString(),
        priced.points.toString(),
        priced.creditValue.toFixed(),
        priced.pointsValue.toFixed(),
      ]
      if (prior) {
        await trx.raw(
          `update rewards_checkout set attempt = ?, customer_id = ?, currency_code = ?, status = 'spent', credit = ?, points = ?,
                  credit_value = ?, points_value = ?, returned_credit = 0, returned_points = 0, returned_share = 0,
                  order_id = null, updated_at = now()
            where cart_id = ? and ${LIVE}`,
          [...values, input.cartId]
        )
      } else {
        await trx.raw(
          `insert into rewards_checkout (id, attempt, customer_id, currency_code, credit, points, credit_value, points_value, cart_id, status)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'spent')`,
          [generateEntityId(undefined, "rwchk"), ...values, input.cartId]
        )
      }
      const [now] = await rows(trx, `select ${CHECKOUT_COLUMNS} from rewards_checkout where cart_id = ? and ${LIVE}`, [input.cartId])
      return toCheckout(now)
    })
  }

  /** The checkout failed after its spend (the compensation): everything not yet returned goes back. */
  async release(cartId: string): Promise<CheckoutAmounts | null> {
    return this.write(async (trx, engine, day) => {
      const [r] = await rows(trx, `select ${CHECKOUT_COLUMNS} from rewards_checkout where cart_id = ? and ${LIVE} for update`, [cartId])
      if (!r || r.status !== "spent") return null
      const c = toCheckout(r)
      const back = await engine.returnSpend({
        memberId: c.customerId,
        checkoutId: `${cartId}#${c.attempt}`,
        causeId: "release",
        spent: c.spent,
        returned: c.returned,
        share: new Dec(1),
        release: true,
        day,
      })
      await trx.raw(`update rewards_checkout set status = 'released', updated_at = now() where cart_id = ? and ${LIVE}`, [cartId])
      return back
    })
  }

  /**
   * RULES.md §1.2 decision: the order of a checkout was canceled or refunded; after the share
   * `share` of it was undone in all, floor(spent × share) of the credit and of the points has
   * gone back — by a transfer of its own per cause, debt settled first (§1.7). Cumulative and
   * keyed by the cause: repeated or reordered causes give nothing back twice.
   */
  async returnForOrder(input: { cartId: string; orderId: string; causeId: string; share: Dec }): Promise<{
    returned: CheckoutAmounts
    previousShare: string
  } | null> {
    return this.write(async (trx, engine, day) => {
      const [r] = await rows(trx, `select ${CHECKOUT_COLUMNS} from rewards_checkout where cart_id = ? and ${LIVE} for update`, [
        input.cartId,
      ])
      if (!r || r.status !== "spent") return null
      const c = toCheckout(r)
      if (c.orderId === null) {
        await trx.raw(`update rewards_checkout set order_id = ?, updated_at = now() where cart_id = ? and ${LIVE}`, [input.orderId, input.cartId])
      }
      const previous = new Dec(c.returnedShare)
      if (input.share.lte(previous)) return { returned: { credit: 0n, points: 0n }, previousShare: previous.toFixed() }
      let back: CheckoutAmounts
      try {
        back = await engine.returnSpend({
          memberId: c.customerId,
          checkoutId: `${input.cartId}#${c.attempt}`,
          causeId: input.causeId,
          spent: c.spent,
          returned: c.returned,
          share: input.share,
          day,
        })
      } catch (e) {
        // the same cause again: already given back
        if (e instanceof RulesError && e.code === "duplicate") return { returned: { credit: 0n, points: 0n }, previousShare: previous.toFixed() }
        throw e
      }
      await trx.raw(
        `update rewards_checkout set returned_credit = returned_credit + ?, returned_points = returned_points + ?, returned_share = ?,
                updated_at = now()
          where cart_id = ? and ${LIVE}`,
        [back.credit.toString(), back.points.toString(), input.share.toFixed(), input.cartId]
      )
      return { returned: back, previousShare: previous.toFixed() }
    })
  }

  /** The compensation of {@link returnForOrder}: the amounts go back to the platform (debt if spent, §1.7). */
  async undoReturn(input: { cartId: string; causeId: string; amounts: CheckoutAmounts; previousShare: string }): Promise<void> {
    if (input.amounts.credit === 0n && input.amounts.points === 0n) return
    await this.write(async (trx, engine, day) => {
      const [r] = await rows(trx, `select ${CHECKOUT_COLUMNS} from rewards_checkout where cart_id = ? and ${LIVE} for update`, [
        input.cartId,
      ])
      if (!r) return
      const c = toCheckout(r)
      try {
        await engine.undoReturn({ memberId: c.customerId, checkoutId: `${input.cartId}#${c.attempt}`, causeId: input.causeId, amounts: input.amounts, day })
      } catch (e) {
        if (e instanceof RulesError && e.code === "duplicate") return
        throw e
      }
      await trx.raw(
        `update rewards_checkout set returned_credit = returned_credit - ?, returned_points = returned_points - ?, returned_share = ?,
                updated_at = now()
          where cart_id = ? and ${LIVE}`,
        [input.amounts.credit.toString(), input.amounts.points.toString(), input.previousShare, input.cartId]
      )
    })
  }
}

function safeDec(v: unknown): Dec {
  try {
    const d = new Dec(String(v ?? "0"))
    return d.isFinite() ? d : new Dec(0)
  } catch {
    return new Dec(0)
  }
}
