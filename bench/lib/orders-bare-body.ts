/**
 * The "without the plugin" process of `npm run bench:orders`: run by bench/orders.ts as
 * `medusa exec <repo>/bench/lib/orders-bare-body.ts` from a throwaway app directory whose
 * medusa-config registers nothing but Medusa's defaults — no rewards module, no `src/` (no
 * subscriber, no workflow hook, no route of the plugin) — on the same database as the plugin
 * process. It only checks out carts (bench/lib/orders-checkout.ts); the plugin process
 * awards those orders afterwards.
 *
 * Imports nothing from the plugin's `src/`.
 */
import type { ExecArgs } from "@medusajs/framework/types"
import { type CompleteArgs, checkoutBlock } from "./orders-checkout"
import { log, serve } from "./orders-ipc"

export default async function bareBody({ container }: ExecArgs): Promise<void> {
  let registered: string[] = []
  try {
    registered = Object.keys((container.resolve("configModule") as { modules?: Record<string, unknown> }).modules ?? {})
  } catch {
    // reported as empty
  }
  if (registered.includes("rewards") || container.hasRegistration("rewards")) {
    throw new Error("the bare Medusa process has the rewards module registered")
  }
  log("Medusa without the plugin: ready")
  await serve(
    { rewardsModule: false },
    {
      async complete(args: CompleteArgs) {
        const { completions, prepareMs } = await checkoutBlock(container, args)
        return { completions, prepareMs }
      },
    }
  )
}
