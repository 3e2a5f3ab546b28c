/** Decimal strings for people: grouped digits, at most `digits` decimals (the value is exact server-side). */
export function fmt(value: string | number | null | undefined, digits = 4): string {
  if (value === null || value === undefined || value === "") return "—"
  const n = typeof value === "number" ? value : Number(value)
  if (!Number.isFinite(n)) return String(value)
  return n.toLocaleString(undefined, { maximumFractionDigits: digits })
}

export function num(value: string | number | null | undefined): number {
  const n = Number(value ?? 0)
  return Number.isFinite(n) ? n : 0
}
