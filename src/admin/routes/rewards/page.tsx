/**
 * Rewards › Dashboard: per business day and per scheme — pool inflows, payouts, returns,
 * forfeits, growth price and supply (RULES.md §6 day reports and the ledger) — and the
 * obligations report of RULES.md §10, each obligation next to the funds that back it.
 */
import { defineRouteConfig } from "@medusajs/admin-sdk"
import { Gift } from "@medusajs/icons"
import { Badge, Container, Heading, Input, Label, Table, Text } from "@medusajs/ui"
import { useState } from "react"
import { LineChart, PairBars } from "../../components/charts"
import { RewardsNav } from "../../components/rewards-nav"
import { useApi } from "../../lib/api"
import { fmt, num } from "../../lib/format"
import { useT } from "../../lib/i18n"

const DashboardPage = () => {
  const { t } = useT()
  const [from, setFrom] = useState("")
  const [to, setTo] = useState("")
  const query = new URLSearchParams()
  if (/^\d{4}-\d{2}-\d{2}$/.test(from)) query.set("from", from)
  if (/^\d{4}-\d{2}-\d{2}$/.test(to)) query.set("to", to)
  const { data, error } = useApi<any>(`/admin/rewards/dashboard?${query}`)
  const days: any[] = data?.days ?? []
  const labels = days.map((d) => d.day)
  const ob = data?.obligations
  return (
    <div className="flex flex-col gap-y-3" data-testid="rewards-dashboard">
      <Container className="flex flex-col gap-y-3">
        <RewardsNav />
        <div className="flex items-end justify-between gap-x-4">
          <div>
            <Heading level="h1">{t("dashboard.title")}</Heading>
            <Text size="small" className="text-ui-fg-subtle">
              {data ? t("dashboard.range", { from: data.from, to: data.to, currency: data.currency }) : t("common.loading")}
            </Text>
          </div>
          <div className="flex gap-x-2">
            <div>
              <Label size="xsmall">{t("dashboard.from")}</Label>
              <Input size="small" placeholder="YYYY-MM-DD" value={from} onChange={(e) => setFrom(e.target.value)} />
            </div>
            <div>
              <Label size="xsmall">{t("dashboard.to")}</Label>
              <Input size="small" placeholder="YYYY-MM-DD" value={to} onChange={(e) => setTo(e.target.value)} />
            </div>
          </div>
        </div>
        {error ? <Text className="text-ui-fg-error">{error.message}</Text> : null}
      </Container>

      {ob ? (
        <Container className="flex flex-col gap-y-4" data-testid="obligations">
          <div className="flex items-center justify-between">
            <div>
              <Heading level="h2">{t("obligations.title")}</Heading>
              <Text size="small" className="text-ui-fg-subtle">
                {t("obligations.description")}
              </Text>
            </div>
            <Badge color={num(ob.total.gap) < 0 ? "red" : "green"}>
              {num(ob.total.gap) < 0 ? t("obligations.unbacked", { amount: fmt(-num(ob.total.gap), 2) }) : t("obligations.backed")}
            </Badge>
          </div>
          <PairBars
            testId="obligations-chart"
            rows={ob.lines.map((l: any) => ({ label: t(`obligations.lines.${l.key}`), value: num(l.value), backing: num(l.backing) }))}
            valueLabel={t("obligations.value")}
            backingLabel={t("obligations.backing")}
          />
          <Table>
            <Table.Header>
              <Table.Row>
                <Table.HeaderCell>{t("obligations.obligation")}</Table.HeaderCell>
                <Table.HeaderCell>{t("obligations.units")}</Table.HeaderCell>
                <Table.HeaderCell>{t("obligations.unitValue")}</Table.HeaderCell>
                <Table.HeaderCell>{t("obligations.value")}</Table.HeaderCell>
                <Table.HeaderCell>{t("obligations.backing")}</Table.HeaderCell>
                <Table.HeaderCell>{t("obligations.gap")}</Table.HeaderCell>
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {ob.lines.map((l: any) => (
                <Table.Row key={l.key}>
                  <Table.Cell>
                    <div className="flex flex-col">
                      <span>{t(`obligations.lines.${l.key}`)}</span>
                      <span className="txt-compact-xsmall text-ui-fg-subtle">{t(`obligations.backedBy.${l.key}`)}</span>
                    </div>
                  </Table.Cell>
                  <Table.Cell>{fmt(l.units)}</Table.Cell>
                  <Table.Cell>{fmt(l.unitValue, 6)}</Table.Cell>
                  <Table.Cell>{fmt(l.value, 2)}</Table.Cell>
                  <Table.Cell>{fmt(l.backing, 2)}</Table.Cell>
                  <Table.Cell className={num(l.gap) < 0 ? "text-ui-fg-error" : ""}>{fmt(l.gap, 2)}</Table.Cell>
                </Table.Row>
              ))}
              <Table.Row>
                <Table.Cell>
                  <strong>{t("obligations.total")}</strong>
                </Table.Cell>
                <Table.Cell />
                <Table.Cell />
                <Table.Cell>{fmt(ob.total.value, 2)}</Table.Cell>
                <Table.Cell>{fmt(ob.total.backing, 2)}</Table.Cell>
                <Table.Cell className={num(ob.total.gap) < 0 ? "text-ui-fg-error" : ""}>{fmt(ob.total.gap, 2)}</Table.Cell>
              </Table.Row>
            </Table.Body>
          </Table>
          <Text size="xsmall" className="text-ui-fg-subtle">
            {t("obligations.debts", { growth: fmt(ob.debts.growth), credit: fmt(ob.debts.credit), points: fmt(ob.debts.points) })}
          </Text>
        </Container>
      ) : null}

      {days.length > 0 ? (
        <>
          <Container className="grid grid-cols-1 gap-6 xl:grid-cols-2" data-testid="dashboard-charts">
            <LineChart
              title={t("dashboard.growth")}
              labels={labels}
              series={[
                { label: t("dashboard.poolInflow"), values: days.map((d) => num(d.growth.inflow)) },
                { label: t("dashboard.payouts"), values: days.map((d) => num(d.growth.payouts)) },
                { label: t("dashboard.pool"), values: days.map((d) => num(d.growth.pool)), dashed: true },
              ]}
            />
            <LineChart
              title={t("dashboard.priceSupply")}
              labels={labels}
              series={[{ label: t("dashboard.price"), values: days.map((d) => num(d.growth.price)) }]}
            />
            <LineChart
              title={t("dashboard.cycle")}
              labels={labels}
              series={[
                { label: t("dashboard.poolInflow"), values: days.map((d) => num(d.cycle.inflow)) },
                { label: t("dashboard.paid"), values: days.map((d) => num(d.cycle.paid)) },
                { label: t("dashboard.returned"), values: days.map((d) => num(d.cycle.returned)) },
              ]}
            />
            <LineChart
              title={t("dashboard.release")}
              labels={labels}
              series={[
                { label: t("dashboard.base"), values: days.map((d) => num(d.release.base)) },
                { label: t("dashboard.share"), values: days.map((d) => num(d.release.share)) },
                { label: t("dashboard.team"), values: days.map((d) => num(d.release.team)) },
                { label: t("dashboard.peer"), values: days.map((d) => num(d.release.peer)) },
                { label: t("dashboard.forfeited"), values: days.map((d) => num(d.release.forfeited)) },
              ]}
            />
          </Container>
          <Container data-testid="dashboard-table">
            <Table>
              <Table.Header>
                <Table.Row>
                  <Table.HeaderCell>{t("dashboard.day")}</Table.HeaderCell>
                  <Table.HeaderCell>{t("dashboard.sales")}</Table.HeaderCell>
                  <Table.HeaderCell>{t("dashboard.growthShort")}</Table.HeaderCell>
                  <Table.HeaderCell>{t("dashboard.price")}</Table.HeaderCell>
                  <Table.HeaderCell>{t("dashboard.supply")}</Table.HeaderCell>
                  <Table.HeaderCell>{t("dashboard.cycleShort")}</Table.HeaderCell>
                  <Table.HeaderCell>{t("dashboard.releaseShort")}</Table.HeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {[...days].reverse().map((d) => (
                  <Table.Row key={d.day}>
                    <Table.Cell>{d.day}</Table.Cell>
                    <Table.Cell>{fmt(d.sales, 2)}</Table.Cell>
                    <Table.Cell>
                      +{fmt(d.growth.inflow, 2)} / −{fmt(d.growth.payouts, 2)} → {fmt(d.growth.pool, 2)}
                    </Table.Cell>
                    <Table.Cell>{fmt(d.growth.price, 6)}</Table.Cell>
                    <Table.Cell>{fmt(d.growth.supply)}</Table.Cell>
                    <Table.Cell>
                      +{fmt(d.cycle.inflow, 2)} / {fmt(d.cycle.paid, 2)} / ↩ {fmt(d.cycle.returned, 2)}
                    </Table.Cell>
                    <Table.Cell>
                      {fmt(d.release.released)} ({t("dashboard.forfeited")} {fmt(d.release.forfeited)})
                    </Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table>
          </Container>
        </>
      ) : data ? (
        <Container>
          <Text size="small">{t("dashboard.noDays")}</Text>
        </Container>
      ) : null}
    </div>
  )
}

export const config = defineRouteConfig({
  label: "rewards.nav.rewards",
  translationNs: "translation",
  icon: Gift,
})

export default DashboardPage
