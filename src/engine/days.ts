/**
 * Business days (RULES.md §1.3): `YYYY-MM-DD` strings in the program's time zone.
 * They sort as strings; arithmetic goes through UTC noon so no DST shift can move a date.
 */

const DAY = /^\d{4}-\d{2}-\d{2}$/

export function isBusinessDay(value: unknown): value is string {
  if (typeof value !== "string" || !DAY.test(value)) return false
  const d = new Date(`${value}T12:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value
}

export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T12:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}

export function nextDay(day: string): string {
  return addDays(day, 1)
}

/** The day events apply to now: the first unclosed day, or null before the program's first event. */
export function openDayOf(p: { firstDay: string | null; lastClosedDay: string | null }): string | null {
  return p.lastClosedDay ? nextDay(p.lastClosedDay) : p.firstDay
}
