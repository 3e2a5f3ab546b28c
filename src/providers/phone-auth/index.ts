/**
 * Phone accounts (RULES.md §7): the auth provider of customers whose login is their phone
 * number. Register under the auth module, next to `emailpass`:
 *
 *   { resolve: "medusa-rewards/providers/phone-auth", id: "phone", options: { ... } }
 *
 * Options: ./options.ts. Codes are sent through the notification module's `sms` channel
 * (medusa-rewards/providers/sms).
 */
import { ModuleProvider, Modules } from "@medusajs/framework/utils"
import { PhoneAuthProviderService } from "./service"

export { PhoneAuthProviderService, CLIENT_IP_HEADER } from "./service"
export { PhoneCodes, PhoneCodeError, CODE_PURPOSES } from "./codes"
export type { CodePurpose } from "./codes"
export { normalizePhone } from "./phone"
export * from "./options"

export default ModuleProvider(Modules.AUTH, {
  services: [PhoneAuthProviderService],
})
