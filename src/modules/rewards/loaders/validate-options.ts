import type { LoaderOptions } from "@medusajs/framework/types"
import { MedusaError } from "@medusajs/framework/utils"
import { ConfigError, parseProgramConfig } from "../../../engine/config"
import type { RewardsModuleOptions } from "../types"

/**
 * Validates the plugin options when the store starts, so a wrong initial program stops the
 * store with the field and the rule instead of failing on the first order.
 */
export default async function validateOptionsLoader({ options }: LoaderOptions<RewardsModuleOptions>): Promise<void> {
  if (options?.program !== undefined) {
    try {
      parseProgramConfig(options.program)
    } catch (e) {
      if (e instanceof ConfigError) {
        throw new MedusaError(MedusaError.Types.INVALID_DATA, `medusa-rewards plugin option program.${e.message}`)
      }
      throw e
    }
  }
  const closeAt = options?.closeAt
  if (closeAt !== undefined && !/^([01]\d|2[0-3]):[0-5]\d$/.test(String(closeAt))) {
    throw new MedusaError(MedusaError.Types.INVALID_DATA, "medusa-rewards plugin option closeAt: must be a local time HH:MM")
  }
  const storefrontUrl = options?.storefrontUrl
  if (storefrontUrl !== undefined) {
    let valid = false
    try {
      valid = ["http:", "https:"].includes(new URL(String(storefrontUrl)).protocol)
    } catch {
      // reported below
    }
    if (!valid) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "medusa-rewards plugin option storefrontUrl: must be an http(s) URL")
    }
  }
  const size = options?.dayBatchSize
  if (size !== undefined && (!Number.isInteger(size) || size < 1)) {
    throw new MedusaError(MedusaError.Types.INVALID_DATA, "medusa-rewards plugin option dayBatchSize: must be an integer ≥ 1")
  }
}
