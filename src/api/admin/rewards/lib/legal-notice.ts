/**
 * The legal notice of RULES.md §10, word for word. The settings page shows it before team
 * rewards (§4.4–4.5) can be turned on; the acknowledgement records `NOTICE_VERSION`, so a
 * changed text asks again.
 */
import { createHash } from "node:crypto"

export const LEGAL_NOTICE = {
  en:
    "Team rewards pay members for purchases made by people they recruited, across several levels. " +
    "Multi-level compensation of this kind is restricted or prohibited in many jurisdictions — in China, " +
    "for example, by Article 7 of the Regulations on Prohibition of Pyramid Selling. Enable it only after " +
    "legal advice for every market you sell in. You are responsible for how this program is operated.",
  "zh-CN":
    "团队收益会按会员所发展人员的消费向其多层级支付奖励。此类多层级计酬在许多司法辖区受到限制或被禁止，" +
    "例如中国《禁止传销条例》第七条。请在取得覆盖所有销售地区的法律意见后再启用。本计划的运营责任由您承担。",
} as const

/** `rules-10-<first 12 hex of sha256 of both texts>`: the text version an acknowledgement names. */
export const NOTICE_VERSION = `rules-10-${createHash("sha256")
  .update(LEGAL_NOTICE.en)
  .update("\n")
  .update(LEGAL_NOTICE["zh-CN"])
  .digest("hex")
  .slice(0, 12)}`
