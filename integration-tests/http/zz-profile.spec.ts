import { Session } from "node:inspector"
import { writeFileSync } from "node:fs"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { awardOrderWorkflow, joinMemberWorkflow } from "../../src/workflows"
import { createCustomer, holdSubscriber, placeOrder, seedStore } from "../helpers"

jest.setTimeout(900_000)
medusaIntegrationTestRunner({
  inApp: true,
  testSuite: ({ getContainer }) => {
    it("profiles", async () => {
      const container = getContainer()
      const store = await seedStore(container)
      const release = holdSubscriber(container, "order.placed", "medusa-rewards-order-placed")
      const ids: string[] = []
      for (let i = 0; i < 80; i++) {
        const { customer } = await createCustomer(container)
        await joinMemberWorkflow(container).run({ input: { customer_id: customer.id } })
        const { order_id } = await placeOrder(container, store, { customer_id: customer.id })
        ids.push(order_id)
      }
      for (const id of ids.slice(0, 20)) await awardOrderWorkflow(container).run({ input: { order_id: id, read_refunds: false } })
      const session = new Session()
      session.connect()
      const post = (m: string, p?: object) => new Promise<any>((res, rej) => session.post(m, p as any, (e, r) => (e ? rej(e) : res(r))))
      await post("Profiler.enable")
      await post("Profiler.setSamplingInterval", { interval: 100 })
      await post("Profiler.start")
      const t: number[] = []
      const c: number[] = []
      for (const id of ids.slice(20)) {
        const s = performance.now(); const u = process.cpuUsage()
        await awardOrderWorkflow(container).run({ input: { order_id: id, read_refunds: false } })
        const d = process.cpuUsage(u); c.push((d.user + d.system) / 1000); t.push(performance.now() - s)
      }
      const { profile } = await post("Profiler.stop")
      writeFileSync(".tmp/award.cpuprofile", JSON.stringify(profile))
      t.sort((a, b) => a - b); c.sort((a, b) => a - b)
      console.log("award wall p50", t[30].toFixed(1), "p90", t[54].toFixed(1), "cpu p50", c[30].toFixed(1))
      release()
    })
  },
})
