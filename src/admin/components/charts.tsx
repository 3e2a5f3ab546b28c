/**
 * Plain SVG charts (no chart library): a multi-series line chart with optional highlighted
 * days, and paired bars (an obligation next to what backs it).
 */
import { Text } from "@medusajs/ui"

export const COLORS = ["#2563eb", "#16a34a", "#dc2626", "#9333ea", "#ea580c", "#0891b2", "#ca8a04"]

export type Series = { label: string; values: number[]; color?: string; dashed?: boolean }

function niceMax(v: number): number {
  if (v <= 0) return 1
  const p = Math.pow(10, Math.floor(Math.log10(v)))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

function short(n: number): string {
  const a = Math.abs(n)
  if (a >= 1e9) return `${(n / 1e9).toFixed(1)}B`
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)}k`
  return String(Math.round(n * 100) / 100)
}

export function LineChart({
  title,
  labels,
  series,
  highlight,
  highlightLabel,
  height = 220,
  testId,
}: {
  title: string
  labels: string[]
  series: Series[]
  /** Days to shade (e.g. obligations above backing). */
  highlight?: boolean[]
  highlightLabel?: string
  height?: number
  testId?: string
}) {
  const width = 720
  const pad = { l: 56, r: 12, t: 12, b: 28 }
  const all = series.flatMap((s) => s.values)
  const max = niceMax(Math.max(0, ...all))
  const min = Math.min(0, ...all)
  const span = max - min || 1
  const n = labels.length
  const x = (i: number) => pad.l + (n <= 1 ? 0 : (i * (width - pad.l - pad.r)) / (n - 1))
  const y = (v: number) => pad.t + (height - pad.t - pad.b) * (1 - (v - min) / span)
  const step = n <= 1 ? width : (width - pad.l - pad.r) / (n - 1)
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => min + f * span)
  const every = Math.max(1, Math.ceil(n / 8))
  return (
    <div className="flex flex-col gap-y-2" data-testid={testId}>
      <Text size="small" weight="plus">
        {title}
      </Text>
      <svg viewBox={`0 0 ${width} ${height}`} className="w-full" role="img" aria-label={title}>
        {highlight?.map((h, i) =>
          h ? <rect key={`h${i}`} x={x(i) - step / 2} y={pad.t} width={step} height={height - pad.t - pad.b} fill="#fee2e2" /> : null
        )}
        {ticks.map((v, i) => (
          <g key={`t${i}`}>
            <line x1={pad.l} x2={width - pad.r} y1={y(v)} y2={y(v)} stroke="#e5e7eb" />
            <text x={pad.l - 6} y={y(v) + 4} textAnchor="end" fontSize="10" fill="#6b7280">
              {short(v)}
            </text>
          </g>
        ))}
        {labels.map((l, i) =>
          i % every === 0 ? (
            <text key={`l${i}`} x={x(i)} y={height - 8} textAnchor="middle" fontSize="10" fill="#6b7280">
              {l.slice(5)}
            </text>
          ) : null
        )}
        {series.map((s, k) => (
          <polyline
            key={s.label}
            fill="none"
            stroke={s.color ?? COLORS[k % COLORS.length]}
            strokeWidth={2}
            strokeDasharray={s.dashed ? "5 4" : undefined}
            points={s.values.map((v, i) => `${x(i)},${y(v)}`).join(" ")}
          />
        ))}
      </svg>
      <div className="flex flex-wrap gap-x-4 gap-y-1">
        {series.map((s, k) => (
          <span key={s.label} className="flex items-center gap-x-1 text-ui-fg-subtle txt-compact-small">
            <span style={{ background: s.color ?? COLORS[k % COLORS.length], width: 10, height: 3, display: "inline-block" }} />
            {s.label}
          </span>
        ))}
        {highlightLabel && highlight?.some(Boolean) ? (
          <span className="flex items-center gap-x-1 text-ui-fg-subtle txt-compact-small">
            <span style={{ background: "#fee2e2", width: 10, height: 10, display: "inline-block" }} />
            {highlightLabel}
          </span>
        ) : null}
      </div>
    </div>
  )
}

/** Horizontal paired bars: each row's value and its backing, on one scale. */
export function PairBars({
  rows,
  valueLabel,
  backingLabel,
  testId,
}: {
  rows: { label: string; value: number; backing: number }[]
  valueLabel: string
  backingLabel: string
  testId?: string
}) {
  const max = niceMax(Math.max(1, ...rows.flatMap((r) => [r.value, r.backing])))
  return (
    <div className="flex flex-col gap-y-3" data-testid={testId}>
      {rows.map((r) => (
        <div key={r.label} className="grid grid-cols-[160px_1fr] items-center gap-x-3">
          <Text size="small">{r.label}</Text>
          <div className="flex flex-col gap-y-1">
            <div className="flex items-center gap-x-2">
              <div style={{ width: `${(100 * r.value) / max}%`, minWidth: 2, height: 10, background: "#dc2626" }} />
              <span className="txt-compact-xsmall text-ui-fg-subtle">{short(r.value)}</span>
            </div>
            <div className="flex items-center gap-x-2">
              <div style={{ width: `${(100 * r.backing) / max}%`, minWidth: 2, height: 10, background: "#16a34a" }} />
              <span className="txt-compact-xsmall text-ui-fg-subtle">{short(r.backing)}</span>
            </div>
          </div>
        </div>
      ))}
      <div className="flex gap-x-4 txt-compact-small text-ui-fg-subtle">
        <span className="flex items-center gap-x-1">
          <span style={{ background: "#dc2626", width: 10, height: 10, display: "inline-block" }} />
          {valueLabel}
        </span>
        <span className="flex items-center gap-x-1">
          <span style={{ background: "#16a34a", width: 10, height: 10, display: "inline-block" }} />
          {backingLabel}
        </span>
      </div>
    </div>
  )
}
