import { useTranslation } from "react-i18next"

/** The admin's language (the dashboard's `lng`: `en`, `zhCN`, …) as the notice keys it: `en` or `zh-CN`. */
export function useNoticeLocale(): "en" | "zh-CN" {
  const { i18n } = useTranslation()
  return (i18n.language ?? "en").toLowerCase().startsWith("zh") ? "zh-CN" : "en"
}

/** `t` scoped to this plugin's keys (every key lives under `rewards.`). */
export function useT() {
  const { t, i18n } = useTranslation()
  return {
    t: (key: string, options?: Record<string, unknown>) => t(`rewards.${key}`, options) as string,
    lang: i18n.language,
  }
}
