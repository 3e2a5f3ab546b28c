import { MathBN } from "@medusajs/framework/utils"
import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { REWARDS_MODULE } from "../../../modules/rewards"
import type RewardsModuleService from "../../../modules/rewards/service"
import type { RecordedEvent } from "../../../modules/rewards/types"
import type { OrderFiguresInput } from "../order-figures"

export const recordOrderStepId = "record-order-rewards"

/**
 * Records a placed order in the rewards inbox (RULES.md §1.2–1.4): its rewards apply at once
 * when its business day is open and `pendingDays` is 0, otherwise the day close applies them.
 * If the order was already undone in part when the award runs (a late or reordered event), that
 * share is reversed right after (§1.5), so the outcome does not depend on the order in which
 * events arrive: the larger of what the order shows (canceled, items returned) and what the
 * reversal events that came before the award recorded (each carries the share of the order
 * undone at its time, refunds included). Idempotent: the order's key makes a repeated run a
 * no-op.
 *
 * Compensation: when this run recorded the order, its rewards are reversed in full by a
 * refund event of its own; a run that found the order already recorded undoes nothing.
 */
export const recordOrderStep = createStep(
  recordOrderStepId,
  async (figures: OrderFiguresInput, { container }) => {
    const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
    const event = await rewards.recordOrder({
      orderId: figures.orderId,
      customerId: figures.customerId,
      figures: {
        currencyCode: figures.currencyCode,
        items: figures.items,
        total: figures.total,
        creditUsed: figures.creditUsed,
        pointsUsed: figures.pointsUsed,
      },
    })
    let reversal: RecordedEvent | null = null
    if (event.status !== "skipped") {
      const recorded = await rewards.recordedReversalShare(figures.orderId)
      const share = MathBN.max(figures.refundedShare, recorded)
      if (MathBN.gt(share, 0)) {
        reversal = await rewards.recordRefund({
          orderId: figures.orderId,
          refundId: `at-award:${figures.canceled ? "cancel" : "reversal"}`,
          refundedShare: share.toFixed(),
        })
      }
    }
    return new StepResponse({ event, reversal }, { orderId: figures.orderId, recorded: !event.duplicate })
  },
  async (compensation, { container }) => {
    if (!compensation?.recorded) return
    const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
    await rewards.recordRefund({ orderId: compensation.orderId, refundId: "compensation", refundedShare: "1" })
  }
)
