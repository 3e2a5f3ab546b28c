/**
 * Rewards › Forecast (RULES.md §10): choose the configuration in force or a draft, a sales
 * path and a horizon; the server runs the same engine forward in memory and returns the
 * series charted here, the days on which obligations exceed what backs them shaded.
 */
import { Badge, Button, Container, Heading, Input, Label, Select, Text, Textarea } from "@medusajs/ui"
import { useState } from "react"
import { LineChart } from "../../../components/charts"
import { RewardsNav } from "../../../components/rewards-nav"
import { ApiError, api } from "../../../lib/api"
import { fmt, num } from "../../../lib/format"
import { useT } from "../../../lib/i18n"

const DEFAULTS = {
  horizon: "90",
  seed: "1",
  dailySales: "20000",
  growthRate: "0.01",
  stopDay: "60",
  averageOrder: "300",
  newMemberShare: "0.3",
  referredShare: "0.8",
  baseKind: "current",
  baseMembers: "200",
  baseAverageOrder: "300",
}

const ForecastPage = () => {
  const { t } = useT()
  const [form, setForm] = useState<Record<string, string>>(DEFAULTS)
  const [configSource, setConfigSource] = useState("current")
  const [draftText, setDraftText] = useState("")
  const [result, setResult] = useState<any>(null)
  const [errors, setErrors] = useState<{ field: string; rule: string }[]>([])
  const [running, setRunning] = useState(false)
  const field = (k: keyof typeof DEFAULTS) => (
    <div key={k}>
      <Label size="xsmall">{t(`forecast.${k}`)}</Label>
      <Input size="small" value={form[k]} onChange={(e) => setForm({ ...form, [k]: e.target.value })} data-testid={`forecast-${k}`} />
    </div>
  )
  const run = async () => {
    setRunning(true)
    setErrors([])
    try {
      const body: any = {
        horizon: Number(form.horizon),
        seed: Number(form.seed),
        path: {
          dailySales: form.dailySales,
          growthRate: form.growthRate,
          stopDay: form.stopDay.trim() === "" ? null : Number(form.stopDay),
          averageOrder: form.averageOrder,
          referral: { newMemberShare: form.newMemberShare, referredShare: form.referredShare },
        },
        base:
          form.baseKind === "synthetic"
            ? { kind: "synthetic", members: Number(form.baseMembers), averageOrder: form.baseAverageOrder }
            : { kind: "current" },
      }
      if (configSource === "draft") {
        try {
          body.config = JSON.parse(draftText || "{}")
        } catch {
          setErrors([{ field: "config", rule: t("forecast.badJson") }])
          return
        }
      }
      const data = await api("/admin/rewards/forecast", { method: "POST", body })
      setResult(data.forecast)
    } catch (e) {
      setErrors(e instanceof ApiError && e.issues.length ? e.issues : [{ field: "request", rule: String(e) }])
    } finally {
      setRunning(false)
    }
  }
  const days: any[] = result?.days.filter((d: any) => d.index > 0) ?? []
  const labels = days.map((d) => d.day)
  const exceeds = days.map((d) => d.exceeds)
  return (
    <div className="flex flex-col gap-y-3" data-testid="rewards-forecast">
      <Container className="flex flex-col gap-y-4">
        <RewardsNav />
        <div>
          <Heading level="h1">{t("forecast.title")}</Heading>
          <Text size="small" className="text-ui-fg-subtle">
            {t("forecast.description")}
          </Text>
        </div>
        <div className="grid grid-cols-2 gap-3 md:grid-cols-4">
          <div>
            <Label size="xsmall">{t("forecast.config")}</Label>
            <Select size="small" value={configSource} onValueChange={setConfigSource}>
              <Select.Trigger>
                <Select.Value />
              </Select.Trigger>
              <Select.Content>
                <Select.Item value="current">{t("forecast.current")}</Select.Item>
                <Select.Item value="draft">{t("forecast.draft")}</Select.Item>
              </Select.Content>
            </Select>
          </div>
          {field("horizon")}
          {field("seed")}
          <div>
            <Label size="xsmall">{t("forecast.base")}</Label>
            <Select size="small" value={form.baseKind} onValueChange={(v) => setForm({ ...form, baseKind: v })}>
              <Select.Trigger>
                <Select.Value />
              </Select.Trigger>
              <Select.Content>
                <Select.Item value="current">{t("forecast.baseCurrent")}</Select.Item>
                <Select.Item value="synthetic">{t("forecast.baseSynthetic")}</Select.Item>
              </Select.Content>
            </Select>
          </div>
          {field("dailySales")}
          {field("growthRate")}
          {field("stopDay")}
          {field("averageOrder")}
          {field("newMemberShare")}
          {field("referredShare")}
          {form.baseKind === "synthetic" ? field("baseMembers") : null}
          {form.baseKind === "synthetic" ? field("baseAverageOrder") : null}
        </div>
        {configSource === "draft" ? (
          <Textarea rows={6} placeholder='{"schemes": {"cycle": {"enabled": true}}}' value={draftText} onChange={(e) => setDraftText(e.target.value)} />
        ) : null}
        <div>
          <Button size="small" onClick={run} isLoading={running} data-testid="forecast-run">
            {t("forecast.run")}
          </Button>
        </div>
        {errors.map((e) => (
          <Text key={e.field + e.rule} size="small" className="text-ui-fg-error" data-testid="forecast-error">
            {e.field}: {e.rule}
          </Text>
        ))}
      </Container>
      {result ? (
        <Container className="flex flex-col gap-y-6" data-testid="forecast-result">
          <div className="flex flex-wrap items-center gap-2">
            {result.summary.firstExceedsDay ? (
              <Badge color="red" data-testid="forecast-exceeds">
                {t("forecast.exceedsFrom", { day: result.summary.firstExceedsDay, gap: fmt(-num(result.summary.worstGap), 2) })}
              </Badge>
            ) : (
              <Badge color="green">{t("forecast.neverExceeds")}</Badge>
            )}
            <Text size="small" className="text-ui-fg-subtle">
              {t("forecast.summary", {
                members: result.baseMembers,
                sales: fmt(result.summary.totalSales, 2),
                cycle: fmt(result.summary.totalPayouts.cycle, 2),
                release: fmt(result.summary.totalPayouts.release, 2),
                currency: result.currency,
              })}
            </Text>
          </div>
          <LineChart
            testId="forecast-obligations"
            title={t("forecast.obligationsVsBacking")}
            labels={labels}
            highlight={exceeds}
            highlightLabel={t("forecast.exceedsLegend")}
            series={[
              { label: t("forecast.obligations"), values: days.map((d) => num(d.obligations.total)), color: "#dc2626" },
              { label: t("forecast.backing"), values: days.map((d) => num(d.backing.total)), color: "#16a34a" },
              { label: t("forecast.sales"), values: days.map((d) => num(d.sales)), color: "#2563eb", dashed: true },
            ]}
          />
          <LineChart
            title={t("forecast.byKind")}
            labels={labels}
            series={["growth", "credit", "quota", "locked", "released"].map((k) => ({
              label: t(`obligations.lines.${k}`),
              values: days.map((d) => num(d.obligations[k])),
            }))}
          />
          <LineChart
            title={t("forecast.payoutsPools")}
            labels={labels}
            series={[
              { label: t("forecast.payoutCycle"), values: days.map((d) => num(d.payouts.cycle)) },
              { label: t("forecast.payoutRelease"), values: days.map((d) => num(d.payouts.release)) },
              { label: t("forecast.growthPool"), values: days.map((d) => num(d.pools.growth)), dashed: true },
            ]}
          />
        </Container>
      ) : null}
    </div>
  )
}

export default ForecastPage
