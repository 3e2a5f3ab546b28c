/**
 * Every parameter of RULES.md §1.9 and §2–§4, grouped as the settings page shows them, with
 * its kind and unit. Defaults and validation come from the server (the one config schema);
 * labels from i18n (`rewards.fields.<name>`).
 */
export type FieldKind = "rate" | "decimal" | "int" | "intOrNull" | "bool" | "text"

export type Field = {
  /** Dotted path in the configuration. */
  path: string
  kind: FieldKind
  /** i18n key under rewards.units */
  unit?: string
}

export type ListKind = "tiers" | "levels" | "teamLevels" | "shareRates" | "exchangeRates"

export type Group = { id: "program" | "growth" | "cycle" | "release" | "team"; fields: Field[]; lists: { path: string; kind: ListKind }[] }

export const GROUPS: Group[] = [
  {
    id: "program",
    fields: [
      { path: "currency", kind: "text", unit: "currencyCode" },
      { path: "timezone", kind: "text", unit: "timezone" },
      { path: "scale", kind: "int", unit: "decimals" },
      { path: "pendingDays", kind: "int", unit: "days" },
      { path: "rewardCreditPayments", kind: "bool" },
      { path: "creditMaxShare", kind: "rate", unit: "share" },
    ],
    lists: [{ path: "exchangeRates", kind: "exchangeRates" }],
  },
  {
    id: "growth",
    fields: [
      { path: "schemes.growth.enabled", kind: "bool" },
      { path: "schemes.growth.poolRate", kind: "rate", unit: "shareOfEligible" },
      { path: "schemes.growth.buyerIssueRate", kind: "rate", unit: "shareOfContribution" },
      { path: "schemes.growth.referrerIssueRate", kind: "rate", unit: "shareOfContribution" },
      { path: "schemes.growth.initialPrice", kind: "decimal", unit: "money" },
      { path: "schemes.growth.maxSupply", kind: "decimal", unit: "points" },
      { path: "schemes.growth.sellFeeRate", kind: "rate", unit: "share" },
      { path: "schemes.growth.exitCapMultiple", kind: "decimal", unit: "perSpend" },
      { path: "schemes.growth.stableRate", kind: "decimal", unit: "creditPerValue" },
    ],
    lists: [],
  },
  {
    id: "cycle",
    fields: [
      { path: "schemes.cycle.enabled", kind: "bool" },
      { path: "schemes.cycle.quotaMultiple", kind: "decimal", unit: "perSpend" },
      { path: "schemes.cycle.weightUnit", kind: "decimal", unit: "moneyPerWeight" },
      { path: "schemes.cycle.referralQuotaRate", kind: "decimal", unit: "perReferredSpend" },
      { path: "schemes.cycle.referralWeightRate", kind: "decimal", unit: "perReferredWeight" },
      { path: "schemes.cycle.proRataPoolRate", kind: "rate", unit: "shareOfDaySales" },
    ],
    lists: [{ path: "schemes.cycle.tiers", kind: "tiers" }],
  },
  {
    id: "release",
    fields: [
      { path: "schemes.release.enabled", kind: "bool" },
      { path: "schemes.release.dailyReleaseRate", kind: "rate", unit: "shareOfOrder" },
      { path: "schemes.release.maxShareDepth", kind: "int", unit: "generations" },
      { path: "schemes.release.pointValue", kind: "decimal", unit: "moneyPerPoint" },
      { path: "schemes.release.pointsMaxShare", kind: "rate", unit: "shareOfOrder" },
    ],
    lists: [
      { path: "schemes.release.levels", kind: "levels" },
      { path: "schemes.release.shareRates", kind: "shareRates" },
    ],
  },
  {
    id: "team",
    fields: [
      { path: "schemes.release.teamRewardsEnabled", kind: "bool" },
      { path: "schemes.release.teamMaxDepth", kind: "intOrNull", unit: "generationsOrEmpty" },
      { path: "schemes.release.peerRate", kind: "rate", unit: "shareOfRelease" },
    ],
    lists: [{ path: "schemes.release.teamLevels", kind: "teamLevels" }],
  },
]

/** The last segment of a path: the i18n key of its label. */
export const fieldName = (path: string) => path.split(".").pop()!

export function getAt(obj: any, path: string): any {
  return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj)
}

export function setAt<T>(obj: T, path: string, value: unknown): T {
  const keys = path.split(".")
  const root: any = Array.isArray(obj) ? [...(obj as any)] : { ...(obj as any) }
  let o = root
  for (let i = 0; i < keys.length - 1; i++) {
    const next = o[keys[i]]
    o[keys[i]] = Array.isArray(next) ? [...next] : { ...(next ?? {}) }
    o = o[keys[i]]
  }
  o[keys[keys.length - 1]] = value
  return root
}

/** An integer field's text as the JSON the schema wants: a number when it is one, else the text (the schema names the rule). */
export function intValue(text: string, nullable: boolean): unknown {
  const t = text.trim()
  if (t === "" && nullable) return null
  return /^-?\d+$/.test(t) ? Number(t) : t
}

/** Flattened leaf values (`schemes.cycle.tiers[0].rate` → "0.01"), for the version history diff. */
export function flatten(value: unknown, prefix = "", out: Record<string, string> = {}): Record<string, string> {
  if (Array.isArray(value)) {
    if (value.length === 0) out[prefix] = "[]"
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out))
  } else if (value && typeof value === "object") {
    const entries = Object.entries(value)
    if (entries.length === 0 && prefix) out[prefix] = "{}"
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out)
  } else {
    out[prefix] = value === null ? "null" : String(value)
  }
  return out
}

export function diff(before: unknown, after: unknown): { field: string; from: string | undefined; to: string | undefined }[] {
  const a = flatten(before)
  const b = flatten(after)
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
  return keys.filter((k) => a[k] !== b[k]).map((k) => ({ field: k, from: a[k], to: b[k] }))
}

/**
 * The schema's rules (src/engine/config.ts) translated where the admin's language has them
 * (`rewards.rules.<id>`); the English rule otherwise (parameterised rules keep their numbers).
 */
export const RULE_IDS: [RegExp, string][] = [
  [/^must be between 0 and 1$/, "rate"],
  [/^must be at least 0$/, "nonNegative"],
  [/^must be greater than 0$/, "positive"],
  [/^must be a decimal number/, "decimal"],
  [/^must be a JSON integer or null$/, "jsonIntegerOrNull"],
  [/^must be a JSON integer$/, "jsonInteger"],
  [/^is required$/, "required"],
  [/^unknown key$/, "unknownKey"],
  [/^must be a 3-letter currency code/, "currency"],
  [/^unknown time zone/, "timezone"],
  [/^thresholds must strictly increase/, "increasing"],
  [/^tier ranges overlap/, "overlap"],
  [/^must be an integer \(a JSON integer or an integer string\)/, "tierBound"],
  [/^buyerIssueRate \+ referrerIssueRate must not exceed 1/, "growthSum"],
  [/^proRataPoolRate \+ the sum of the tier rates must not exceed 1/, "cycleSum"],
  [/^must be at least min/, "maxAtLeastMin"],
  [/^cannot change from \d+ once the program has started/, "scaleFixed"],
  [/^must be between \d+ and \d+$/, "range"],
  [/^must be true or false$/, "boolean"],
  [/^must be a list$/, "list"],
  [/^must be an object/, "object"],
  [/^must be a string/, "string"],
]

export function ruleKey(rule: string): string | null {
  for (const [re, id] of RULE_IDS) if (re.test(rule)) return id
  return null
}
