/**
 * RULES.md §1.3: business day D holds the events of [D 00:00, D+1 00:00) in the program's
 * time zone.
 */
const formatters = new Map<string, Intl.DateTimeFormat>()

export function businessDayOf(at: Date, timeZone: string): string {
  let f = formatters.get(timeZone)
  if (!f) {
    // en-CA formats dates as YYYY-MM-DD
    f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    formatters.set(timeZone, f)
  }
  return f.format(at)
}
