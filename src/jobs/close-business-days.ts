import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { closeDueDaysWorkflow } from "../workflows/days/workflows/close-due-days"

/** The lock that keeps one instance closing days at a time (Medusa's locking module). */
export const CLOSE_DAYS_LOCK = "medusa-rewards:close-business-days"

/**
 * The daily cycle as a scheduled job (RULES.md §1.3, §6). A job's schedule is static and
 * evaluated in the process time zone, so it ticks every five minutes and the module decides
 * which business days are due in the program's own time zone (plugin option `closeAt`, default
 * 00:05 local): after downtime it catches up day by day, in order.
 *
 * Only one instance runs it: the locking module guards the tick across instances (Redis or
 * PostgreSQL providers), and the module holds a PostgreSQL advisory lock while it closes, so
 * even separate workers with the in-memory locking provider never close a day twice at once.
 * A failed close is logged and recorded on its day run, and retried on the next tick.
 */
export default async function closeBusinessDaysJob(container: MedusaContainer): Promise<void> {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const locking = container.resolve(Modules.LOCKING)
  try {
    await locking.execute(
      CLOSE_DAYS_LOCK,
      async () => {
        const { result } = await closeDueDaysWorkflow(container).run()
        if (result.closed.length > 0) logger.info(`medusa-rewards: closed business days ${result.closed.join(", ")}`)
      },
      // give up at once if another instance holds the lock: it is doing this tick's work
      { timeout: 1 }
    )
  } catch (e) {
    // a workflow rethrows its step's error as a plain object
    const message = e && typeof e === "object" && "message" in e ? String((e as { message: unknown }).message) : String(e)
    if (/timed-out acquiring lock/i.test(message)) {
      logger.debug("medusa-rewards: another instance is closing business days")
      return
    }
    logger.error(`medusa-rewards: the daily close failed; the next tick retries it: ${message}`)
  }
}

/**
 * Every five minutes. MEDUSA_REWARDS_CLOSE_SCHEDULE, read when the job is loaded, replaces that:
 * a cron expression (six fields for seconds: a test that must see many ticks runs it every two
 * seconds) or a period in milliseconds (`2147483647`, the longest timer Node keeps: ~25 days).
 */
function closeSchedule(): string | { interval: number } {
  const value = process.env.MEDUSA_REWARDS_CLOSE_SCHEDULE?.trim()
  if (!value) return "*/5 * * * *"
  return /^\d+$/.test(value) ? { interval: Number(value) } : value
}

export const config = {
  name: "medusa-rewards-close-business-days",
  schedule: closeSchedule(),
}
