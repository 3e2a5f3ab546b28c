import { model } from "@medusajs/framework/utils"

/**
 * A version of the program configuration (RULES.md §1.9) and the first business day it
 * governs (§7): a saved change never rewrites the past.
 */
const RewardsConfigVersion = model
  .define("rewards_config_version", {
    id: model.id({ prefix: "rwcfg" }).primaryKey(),
    version: model.number(),
    /** First business day it applies to; null = from the program's start. */
    effective_from: model.text().nullable(),
    /** The configuration as `serializeProgramConfig` writes it (decimals as strings). */
    config: model.json(),
    /** Who saved it: an admin user id, or `plugin-options` for the initial program. */
    created_by: model.text().nullable(),
    note: model.text().nullable(),
  })
  .indexes([{ on: ["version"], unique: true }])

export default RewardsConfigVersion
