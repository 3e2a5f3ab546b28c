import type { MedusaContainer } from "@medusajs/framework/types"
import { Dec } from "../../engine/decimal"
import { memberAccount } from "../../engine/ledger"
import { REWARDS_MODULE } from "../../modules/rewards"
import type RewardsModuleService from "../../modules/rewards/service"
import type { OperationResult } from "../../modules/rewards/types"

/** What a member asks of a sell-back or a conversion of growth points. */
export interface GrowthPointsInput {
  customer_id: string
  /** Growth points to sell or convert, a decimal string > 0. */
  points: string
  /** The client's key for this request: the same key is applied once. */
  idempotency_key?: string
  /** Quote only: the same engine code runs and is rolled back. */
  dry_run?: boolean
}

/**
 * Runs a sell-back (RULES.md §2.3) or a conversion (§2.5) through the rewards module, in one
 * transaction under the program lock (rolled back for a quote), and describes it with the
 * price, gross value and fee it ran at and the member's balances before and after.
 */
export async function runGrowthOperation(
  container: MedusaContainer,
  kind: "sell" | "convert",
  input: GrowthPointsInput
): Promise<GrowthOperationView> {
  const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
  const growth = await rewards.getMemberGrowth(input.customer_id)
  const before = await rewards.getAccountBalances(memberAccount(input.customer_id))
  const request = {
    customerId: input.customer_id,
    points: input.points,
    requestId: input.idempotency_key ? `${input.customer_id}:${input.idempotency_key}` : undefined,
  }
  const options = { dryRun: input.dry_run === true }
  const op = kind === "sell" ? await rewards.sellGrowthPoints(request, options) : await rewards.convertGrowthPoints(request, options)
  return growthOperationView({
    kind,
    customerId: input.customer_id,
    points: input.points,
    price: growth.price,
    scale: await rewards.scale(),
    feeRate: growth.sell_fee_rate,
    before,
    op,
    dryRun: input.dry_run === true,
  })
}

/**
 * What a sell-back or conversion of growth points does (RULES.md §2.3, §2.5), as the
 * storefront shows it before and after confirming: the engine's own result (proceeds or credit)
 * and transfers, with the price, the gross value and the fee around them.
 */
export interface GrowthOperationView {
  kind: "sell" | "convert"
  /** Business day it counts on. */
  day: string
  points: string
  /** The growth price it ran at (12 decimals). */
  price: string
  /** points × price, rounded down: the value before any fee. */
  gross: string
  /** sellFeeRate's part of a sell-back, kept in the growth pool (0 for a conversion). */
  fee: string
  fee_rate: string
  /** Stable credit the operation pays: proceeds of a sell-back, or the conversion's credit. */
  credit: string
  /** Of that credit, what settled credit debt first (RULES.md §1.7), and what reached the wallet. */
  debt_settled: string
  credit_received: string
  /** The member's growth points and credit after it. */
  balances_after: { GROWTH: string; CREDIT: string; DEBT_CREDIT: string }
  transfers: OperationResult<string>["transfers"]
  /** True for a quote: nothing was written. */
  dry_run: boolean
}

export function growthOperationView(input: {
  kind: "sell" | "convert"
  customerId: string
  points: string
  price: string
  scale: number
  feeRate: string
  before: Record<string, string>
  op: OperationResult<string>
  dryRun: boolean
}): GrowthOperationView {
  const account = memberAccount(input.customerId)
  const delta: Record<string, Dec> = {}
  for (const t of input.op.transfers) {
    if (t.credit === account) delta[t.asset] = (delta[t.asset] ?? new Dec(0)).plus(t.amount)
    if (t.debit === account) delta[t.asset] = (delta[t.asset] ?? new Dec(0)).minus(t.amount)
  }
  const held = (asset: string) => new Dec(input.before[asset] ?? "0")
  const after = (asset: string) => held(asset).plus(delta[asset] ?? 0).toFixed()
  const gross = new Dec(input.points).times(input.price).toDecimalPlaces(input.scale, Dec.ROUND_DOWN)
  const credit = new Dec(input.op.result)
  const settled = (delta.DEBT_CREDIT ?? new Dec(0)).negated()
  return {
    kind: input.kind,
    day: input.op.day,
    points: new Dec(input.points).toFixed(),
    price: input.price,
    gross: gross.toFixed(),
    fee: input.kind === "sell" ? Dec.max(0, gross.minus(credit)).toFixed() : "0",
    fee_rate: input.kind === "sell" ? input.feeRate : "0",
    credit: credit.toFixed(),
    debt_settled: settled.toFixed(),
    credit_received: (delta.CREDIT ?? new Dec(0)).toFixed(),
    balances_after: { GROWTH: after("GROWTH"), CREDIT: after("CREDIT"), DEBT_CREDIT: after("DEBT_CREDIT") },
    transfers: input.op.transfers,
    dry_run: input.dryRun,
  }
}
