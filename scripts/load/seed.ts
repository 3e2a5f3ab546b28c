/**
 * `medusa exec ./scripts/load/seed.ts`, run by `npm run load` (scripts/load.ts): a store
 * (scripts/lib/store.ts: region, channel with a publishable key, shipping, one product) and
 * LOAD_SHOPPERS registered customers (emailpass accounts, Medusa's own account workflow), who
 * join the rewards program in a referral tree (each referred by one of the previous level, three
 * per referrer). Writes what the shoppers need (publishable key, ids, each customer's bearer
 * token) as JSON to LOAD_OUT.
 */
import { writeFileSync } from "node:fs"
import type { ExecArgs } from "@medusajs/framework/types"
import { REWARDS_MODULE } from "../../src/modules/rewards"
import type RewardsModuleService from "../../src/modules/rewards/service"
import { joinMemberWorkflow } from "../../src/workflows"
import { createCustomer } from "../lib/auth"
import { seedStore } from "../lib/store"

export interface LoadSeed {
  publishableKey: string
  regionId: string
  country: string
  variantId: string
  shippingOptionId: string
  unitPrice: number
  shoppers: { id: string; email: string; token: string }[]
}

export default async function seedLoad({ container }: ExecArgs) {
  const shoppers = Number(process.env.LOAD_SHOPPERS ?? 200)
  const out = process.env.LOAD_OUT
  if (!out) throw new Error("LOAD_OUT: the file to write the seed to")
  const rewards = container.resolve<RewardsModuleService>(REWARDS_MODULE)
  const store = await seedStore(container, { currency: "cny", unitPrice: 100, shippingPrice: 10, name: "Load" })

  const created: LoadSeed["shoppers"] = []
  // level by level: a referrer must be a member (with a code) before its referrals sign up
  for (let level = 0, start = 0; start < shoppers; level++) {
    const size = Math.min(3 ** level, shoppers - start)
    const batch = Array.from({ length: size }, (_, k) => start + k)
    for (let i = 0; i < batch.length; i += 10) {
      await Promise.all(
        batch.slice(i, i + 10).map(async (n) => {
          const referrer = n === 0 ? null : created[Math.floor((n - 1) / 3)]
          const code = referrer ? (await rewards.getMemberByCustomerId(referrer.id))!.referral_code : undefined
          const c = await createCustomer(container, {
            email: `shopper-${n}@load.medusa-rewards.test`,
            metadata: code ? { referral_code: code } : undefined,
          })
          // the customer.created subscriber does the same; waiting for it here keeps the tree
          await joinMemberWorkflow(container).run({ input: { customer_id: c.customer.id } })
          created[n] = { id: c.customer.id, email: c.email, token: c.token }
        })
      )
    }
    start += size
  }

  const seed: LoadSeed = {
    publishableKey: store.publishableKey.token,
    regionId: store.region.id,
    country: store.country,
    variantId: store.variant.id,
    shippingOptionId: store.shippingOption.id,
    unitPrice: store.unitPrice,
    shoppers: created,
  }
  writeFileSync(out, JSON.stringify(seed))
  // let the event bus finish the customer.created deliveries before `medusa exec` exits
  await new Promise((resolve) => setTimeout(resolve, 2000))
}
