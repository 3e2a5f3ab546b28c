/**
 * The SMS side of phone accounts (RULES.md §7): a notification provider for channel `sms`. The
 * plugin sends verification codes as notifications with template
 * {@link PHONE_CODE_TEMPLATE} and sealed data; this base class opens the code, renders the text
 * and hands it to {@link AbstractSmsNotificationProvider.sendSms} — the one method a real SMS
 * gateway implements (README, "Phone accounts and SMS").
 */
import { AbstractNotificationProviderService } from "@medusajs/framework/utils"
import type { Logger, NotificationTypes } from "@medusajs/framework/types"
import { unsealCode } from "./seal"

/** Template name of verification-code notifications. */
export const PHONE_CODE_TEMPLATE = "medusa-rewards.phone-code"

/** Data of a verification-code notification (what the notification module stores). */
export interface PhoneCodeNotificationData {
  /** The code, sealed with the store's secret (see seal.ts). */
  sealed_code: string
  purpose: "register" | "login" | "reset" | "change"
  expires_in_minutes: number
}

export interface SmsProviderOptions {
  /** Channels served; must include `sms` (the plugin's codes go to channel `sms`). */
  channels?: string[]
  /**
   * Text of a verification code; `{code}` and `{minutes}` are replaced. Default:
   * "Your verification code is {code}. It expires in {minutes} minutes. Never share it."
   */
  codeMessage?: string
  /** Secret that sealed the code; default the store's `http.jwtSecret` (as the phone auth provider). */
  secret?: string
}

/** What a gateway sends: a phone number (E.164) and a text. */
export interface SmsMessage {
  to: string
  text: string
  /** The notification as the module passed it (template, data), for gateways with their own templates. */
  notification: NotificationTypes.ProviderSendNotificationDTO
  /** For verification codes: the code in clear (gateways with template ids need it as a parameter). */
  code?: string
}

const DEFAULT_CODE_MESSAGE = "Your verification code is {code}. It expires in {minutes} minutes. Never share it."

type Deps = { logger: Logger; configModule?: { projectConfig?: { http?: { jwtSecret?: string } } } }

export abstract class AbstractSmsNotificationProvider extends AbstractNotificationProviderService {
  protected readonly logger_: Logger
  protected readonly options_: SmsProviderOptions
  private readonly secret_: string | undefined

  constructor(deps: Deps, options: SmsProviderOptions = {}) {
    super()
    this.logger_ = deps.logger
    this.options_ = options ?? {}
    this.secret_ = this.options_.secret ?? deps.configModule?.projectConfig?.http?.jwtSecret
  }

  static validateOptions(options: Record<string, unknown>): void {
    const channels = options?.channels
    if (channels !== undefined && (!Array.isArray(channels) || !channels.every((c) => typeof c === "string"))) {
      throw new Error("sms provider option channels: must be a list of channel names")
    }
  }

  /** Sends one text message. Implement this for a real gateway; throw to report a failure. */
  protected abstract sendSms(message: SmsMessage): Promise<{ id?: string }>

  async send(notification: NotificationTypes.ProviderSendNotificationDTO): Promise<NotificationTypes.ProviderSendNotificationResultsDTO> {
    let text = notification.content?.text ?? ""
    let code: string | undefined
    if (notification.template === PHONE_CODE_TEMPLATE) {
      const data = (notification.data ?? {}) as unknown as PhoneCodeNotificationData
      if (!this.secret_) throw new Error("sms provider: no secret to open the verification code (set http.jwtSecret)")
      code = unsealCode(data.sealed_code, this.secret_)
      text = (this.options_.codeMessage ?? DEFAULT_CODE_MESSAGE)
        .replace(/\{code\}/g, code)
        .replace(/\{minutes\}/g, String(data.expires_in_minutes ?? ""))
    }
    if (!text) throw new Error(`sms provider: nothing to send for template ${notification.template}`)
    return this.sendSms({ to: notification.to, text, notification, code })
  }
}
