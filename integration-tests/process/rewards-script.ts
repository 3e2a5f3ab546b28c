/**
 * Run with `medusa exec` by close-kill.spec.ts, in a real Medusa process that the test kills:
 * - REWARDS_SCRIPT=seed: imports a member base (a forest plus a deep chain) on REWARDS_DAY;
 * - REWARDS_SCRIPT=close: closes every day due at 10:00 on REWARDS_DAY (Asia/Shanghai).
 */
import type { ExecArgs } from "@medusajs/framework/types"
import { REWARDS_MODULE } from "../../src/modules/rewards"
import type RewardsModuleService from "../../src/modules/rewards/service"
import type { ImportItem } from "../../src/modules/rewards/types"

export default async function rewardsScript({ container }: ExecArgs) {
  const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
  const day = process.env.REWARDS_DAY!
  rewards.setClock(() => new Date(`${day}T10:00:00+08:00`))
  if (process.env.REWARDS_SCRIPT === "seed") {
    const n = Number(process.env.REWARDS_MEMBERS ?? 2000)
    const items: ImportItem[] = []
    for (let i = 0; i < n; i++) {
      // every third member extends one long chain, the others hang off a random earlier member
      const referrer = i === 0 ? null : i % 3 === 0 ? `cus_${i - 3 < 0 ? 0 : i - 3}` : `cus_${(i * 7919) % i}`
      items.push({ join: { customerId: `cus_${i}`, referrerId: referrer } })
      items.push({ order: { orderId: `ord_${i}`, customerId: `cus_${i}`, amount: String(300 + ((i * 37) % 11) * 450) } })
    }
    await rewards.importBatch("import:base", items)
    process.stdout.write(`seeded ${n}\n`)
  } else {
    const closed = await rewards.closeDueDays()
    const audit = await rewards.audit()
    process.stdout.write(`closed ${closed.join(",")} audit ${audit.ok ? "ok" : JSON.stringify(audit.violations.slice(0, 3))}\n`)
  }
}
