import en from "./json/en.json" with { type: "json" }
import zhCN from "./json/zh-CN.json" with { type: "json" }

/**
 * Admin translations, merged by the dashboard into i18next's default
 * "translation" namespace. Every key of this plugin lives under the top-level
 * "rewards" key so it cannot collide with the dashboard's or other plugins' keys.
 * Locale codes follow the dashboard's own: `en`, `zhCN`.
 */
export default {
  en: {
    translation: en,
  },
  zhCN: {
    translation: zhCN,
  },
}
