/**
 * The ledger audit (RULES.md §1.8, `medusa-rewards audit`) after every test of a suite (issue 7).
 *
 * Call `auditAfterEachTest(getContainer)` first thing in a medusaIntegrationTestRunner's
 * `testSuite`: its `afterEach` then runs after the runner's own (which waits for the test's
 * workflow executions to finish) and before the runner restores the database for the next test,
 * so it audits exactly the state the test left. A violation fails that test, naming the invariant
 * and the accounts.
 */
import type { MedusaContainer } from "@medusajs/framework/types"
import { REWARDS_MODULE } from "../../src/modules/rewards"
import type RewardsModuleService from "../../src/modules/rewards/service"

export function auditAfterEachTest(getContainer: () => MedusaContainer): void {
  afterEach(async () => {
    const rewards = getContainer().resolve<RewardsModuleService>(REWARDS_MODULE)
    const audit = await rewards.audit()
    if (audit.violations.length > 0) {
      const shown = audit.violations.slice(0, 10).map((v) => `  §1.8 invariant ${v.invariant}: ${v.message} [${v.accounts.join(", ")}]`)
      throw new Error(`the ledger audit found ${audit.violations.length} violation(s) after this test:\n${shown.join("\n")}`)
    }
  })
}
