/**
 * SMS notifications for phone accounts (RULES.md §7). Register under the notification module:
 *
 *   { resolve: "medusa-rewards/providers/sms", id: "sms", options: { channels: ["sms"] } }
 *
 * The default service logs messages (development); a real gateway extends
 * {@link AbstractSmsNotificationProvider} (README, "Phone accounts and SMS").
 */
import { ModuleProvider, Modules } from "@medusajs/framework/utils"
import { LocalSmsNotificationService } from "./local"

export { AbstractSmsNotificationProvider, PHONE_CODE_TEMPLATE } from "./base"
export type { PhoneCodeNotificationData, SmsMessage, SmsProviderOptions } from "./base"
export { LocalSmsNotificationService } from "./local"
export { sealCode, unsealCode } from "./seal"

export default ModuleProvider(Modules.NOTIFICATION, {
  services: [LocalSmsNotificationService],
})
