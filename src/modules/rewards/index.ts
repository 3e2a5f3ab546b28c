import { Module } from "@medusajs/framework/utils"
import validateOptionsLoader from "./loaders/validate-options"
import RewardsModuleService from "./service"

export const REWARDS_MODULE = "rewards"

export default Module(REWARDS_MODULE, {
  service: RewardsModuleService,
  loaders: [validateOptionsLoader],
})

export type { RewardsModuleOptions } from "./types"
export { RewardsModuleService }
