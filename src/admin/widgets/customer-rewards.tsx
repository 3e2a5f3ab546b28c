/**
 * The rewards of one member on Medusa's customer page: every balance, level and star level,
 * referrer (changeable before the first order, RULES.md §1.1), direct and total downline, team
 * performance in cash and points parts (§7), recent transfers, and an adjustment form (§5:
 * asset, signed amount, required reason; recorded with the admin's id).
 */
import { defineWidgetConfig } from "@medusajs/admin-sdk"
import type { AdminCustomer, DetailWidgetProps } from "@medusajs/framework/types"
import { Badge, Button, Container, Heading, Input, Label, Select, Table, Text, toast } from "@medusajs/ui"
import { useState } from "react"
import { Link } from "react-router-dom"
import { ApiError, api, useApi } from "../lib/api"
import { fmt } from "../lib/format"
import { useT } from "../lib/i18n"

const ASSETS = ["CREDIT", "POINTS", "POINTS_LOCKED", "GROWTH", "EXIT_CAP", "QUOTA", "WEIGHT", "DEBT_GROWTH", "DEBT_CREDIT", "DEBT_POINTS"]
const ADJUSTABLE = ["CREDIT", "POINTS", "QUOTA", "WEIGHT", "GROWTH"]

type Errors = Record<string, string>

function issuesOf(e: unknown): Errors {
  if (e instanceof ApiError && e.issues.length) return Object.fromEntries(e.issues.map((i) => [i.field, i.rule]))
  return { form: e instanceof Error ? e.message : String(e) }
}

const CustomerRewardsWidget = ({ data: customer }: DetailWidgetProps<AdminCustomer>) => {
  const { t } = useT()
  const { data, error, reload } = useApi<any>(`/admin/rewards/members/${customer.id}`)
  const [asset, setAsset] = useState("CREDIT")
  const [amount, setAmount] = useState("")
  const [reason, setReason] = useState("")
  const [adjustErrors, setAdjustErrors] = useState<Errors>({})
  const [referrer, setReferrer] = useState("")
  const [referrerErrors, setReferrerErrors] = useState<Errors>({})
  const [busy, setBusy] = useState(false)

  if (error?.status === 404) {
    return (
      <Container>
        <Heading level="h2">{t("widget.title")}</Heading>
        <Text size="small" className="text-ui-fg-subtle">
          {t("widget.notMember")}
        </Text>
      </Container>
    )
  }
  if (!data) return <Container>{error ? <Text className="text-ui-fg-error">{error.message}</Text> : <Text>{t("common.loading")}</Text>}</Container>
  const m = data.member

  const adjust = async () => {
    setBusy(true)
    setAdjustErrors({})
    try {
      await api(`/admin/rewards/members/${customer.id}/adjustments`, { method: "POST", body: { asset, amount: amount.trim(), reason } })
      toast.success(t("widget.adjusted"))
      setAmount("")
      setReason("")
      reload()
    } catch (e) {
      setAdjustErrors(issuesOf(e))
    } finally {
      setBusy(false)
    }
  }
  const changeReferrer = async (value: string | null) => {
    setBusy(true)
    setReferrerErrors({})
    try {
      await api(`/admin/rewards/members/${customer.id}/referrer`, { method: "POST", body: { referrer: value } })
      toast.success(t("widget.referrerChanged"))
      setReferrer("")
      reload()
    } catch (e) {
      setReferrerErrors(issuesOf(e))
    } finally {
      setBusy(false)
    }
  }
  const who = (c: any, id: string | null) => (c ? [c.firstName, c.lastName].filter(Boolean).join(" ") || c.email : (id ?? "—"))

  return (
    <Container className="flex flex-col gap-y-4" data-testid="customer-rewards">
      <div className="flex items-center justify-between">
        <Heading level="h2">{t("widget.title")}</Heading>
        <div className="flex gap-x-2">
          <Badge color="blue">{t("widget.code", { code: m.referralCode })}</Badge>
          <Badge color="purple">{m.level === null ? t("widget.noLevel") : t("widget.level", { level: m.level + 1 })}</Badge>
          <Badge color="orange">{m.starLevel ? t("widget.stars", { stars: m.starLevel }) : t("widget.noStars")}</Badge>
        </div>
      </div>

      <div className="grid grid-cols-2 gap-3 md:grid-cols-5" data-testid="member-balances">
        {ASSETS.map((a) => (
          <div key={a} className="rounded-md border border-ui-border-base p-2">
            <Text size="xsmall" className="text-ui-fg-subtle">
              {t(`assets.${a}`)}
            </Text>
            <Text size="small" weight="plus" data-testid={`balance-${a}`}>
              {fmt(m.balances[a])}
            </Text>
          </div>
        ))}
      </div>

      <div className="grid grid-cols-1 gap-3 md:grid-cols-3">
        <div>
          <Text size="xsmall" className="text-ui-fg-subtle">
            {t("widget.referrer")}
          </Text>
          <Text size="small" data-testid="member-referrer">
            {m.referrerId ? <Link to={`/customers/${m.referrerId}`}>{who(m.referrer, m.referrerId)}</Link> : t("widget.none")}
            {m.referrerCode ? ` (${m.referrerCode})` : ""}
          </Text>
        </div>
        <div>
          <Text size="xsmall" className="text-ui-fg-subtle">
            {t("widget.downline")}
          </Text>
          <Text size="small" data-testid="member-downline">
            {t("widget.downlineCounts", { direct: m.directDownline, total: m.totalDownline })}
          </Text>
        </div>
        <div>
          <Text size="xsmall" className="text-ui-fg-subtle">
            {t("widget.teamPerformance")}
          </Text>
          <Text size="small" data-testid="member-team">
            {t("widget.teamSplit", { total: fmt(m.team.total, 2), cash: fmt(m.team.cash, 2), points: fmt(m.team.points, 2) })}
          </Text>
          <Text size="xsmall" className="text-ui-fg-subtle">
            {t("widget.teamAtClose", { amount: fmt(m.teamPerformance, 2) })}
          </Text>
        </div>
      </div>

      {!m.hasOrders ? (
        <div className="flex flex-col gap-y-1" data-testid="referrer-form">
          <Label size="small" weight="plus">
            {t("widget.changeReferrer")}
          </Label>
          <div className="flex gap-x-2">
            <Input size="small" placeholder={t("widget.referrerPlaceholder")} value={referrer} onChange={(e) => setReferrer(e.target.value)} />
            <Button size="small" variant="secondary" disabled={busy || !referrer.trim()} onClick={() => changeReferrer(referrer.trim())}>
              {t("widget.setReferrer")}
            </Button>
            {m.referrerId ? (
              <Button size="small" variant="transparent" disabled={busy} onClick={() => changeReferrer(null)}>
                {t("widget.removeReferrer")}
              </Button>
            ) : null}
          </div>
          {Object.entries(referrerErrors).map(([f, r]) => (
            <Text key={f} size="xsmall" className="text-ui-fg-error">
              {f}: {r}
            </Text>
          ))}
        </div>
      ) : null}

      <div className="flex flex-col gap-y-2" data-testid="adjust-form">
        <Label size="small" weight="plus">
          {t("widget.adjust")}
        </Label>
        <div className="grid grid-cols-1 gap-2 md:grid-cols-[160px_160px_1fr_auto]">
          <Select size="small" value={asset} onValueChange={setAsset}>
            <Select.Trigger data-testid="adjust-asset">
              <Select.Value />
            </Select.Trigger>
            <Select.Content>
              {ADJUSTABLE.map((a) => (
                <Select.Item key={a} value={a}>
                  {t(`assets.${a}`)}
                </Select.Item>
              ))}
            </Select.Content>
          </Select>
          <Input size="small" placeholder={t("widget.amountPlaceholder")} value={amount} onChange={(e) => setAmount(e.target.value)} data-testid="adjust-amount" />
          <Input size="small" placeholder={t("widget.reasonPlaceholder")} value={reason} onChange={(e) => setReason(e.target.value)} data-testid="adjust-reason" />
          <Button size="small" disabled={busy} onClick={adjust} data-testid="adjust-submit">
            {t("widget.apply")}
          </Button>
        </div>
        {Object.entries(adjustErrors).map(([f, r]) => (
          <Text key={f} size="xsmall" className="text-ui-fg-error" data-testid="adjust-error">
            {t(`widget.fields.${f}`) === `rewards.widget.fields.${f}` ? f : t(`widget.fields.${f}`)}: {r}
          </Text>
        ))}
      </div>

      <div className="flex flex-col gap-y-2">
        <div className="flex items-center justify-between">
          <Label size="small" weight="plus">
            {t("widget.recent")}
          </Label>
          <Link to={`/rewards/ledger`} className="txt-compact-small text-ui-fg-interactive">
            {t("widget.openLedger")}
          </Link>
        </div>
        <Table data-testid="recent-transfers">
          <Table.Header>
            <Table.Row>
              <Table.HeaderCell>{t("ledger.day")}</Table.HeaderCell>
              <Table.HeaderCell>{t("ledger.reason")}</Table.HeaderCell>
              <Table.HeaderCell>{t("ledger.asset")}</Table.HeaderCell>
              <Table.HeaderCell>{t("ledger.amount")}</Table.HeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {data.recentTransfers.map((r: any) => (
              <Table.Row key={r.id}>
                <Table.Cell>{r.day}</Table.Cell>
                <Table.Cell>{r.reason}</Table.Cell>
                <Table.Cell>{t(`assets.${r.asset}`)}</Table.Cell>
                <Table.Cell>
                  {r.credit === `m:${customer.id}` ? "+" : "−"}
                  {fmt(r.amount)}
                </Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table>
      </div>
    </Container>
  )
}

export const config = defineWidgetConfig({
  zone: "customer.details.after",
})

export default CustomerRewardsWidget
