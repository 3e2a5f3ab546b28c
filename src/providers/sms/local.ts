import { AbstractSmsNotificationProvider, type SmsMessage } from "./base"

/**
 * The default SMS provider: sends nothing, logs every message (verification codes included)
 * through the store's logger and keeps the last ones in memory. For development and tests only:
 * a production store plugs in a real gateway (README, "Phone accounts and SMS").
 */
export class LocalSmsNotificationService extends AbstractSmsNotificationProvider {
  static identifier = "sms-local"
  static DISPLAY_NAME = "Local SMS (logs codes)"

  /** The last 100 messages of this process, newest last. */
  static readonly outbox: { to: string; text: string; code?: string; at: Date }[] = []

  protected async sendSms(message: SmsMessage): Promise<{ id?: string }> {
    const outbox = LocalSmsNotificationService.outbox
    outbox.push({ to: message.to, text: message.text, code: message.code, at: new Date() })
    if (outbox.length > 100) outbox.splice(0, outbox.length - 100)
    this.logger_.info(`[medusa-rewards sms-local] to ${message.to}: ${message.text}`)
    return { id: `sms-local-${Date.now()}` }
  }
}
