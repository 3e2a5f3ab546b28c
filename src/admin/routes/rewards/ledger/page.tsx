/**
 * Rewards › Ledger: every transfer, newest first, filtered by member, asset, reason, business
 * day and order; keyset pages ("load more"); CSV export of the whole filter (streamed).
 */
import { Button, Container, Heading, Input, Label, Table, Text } from "@medusajs/ui"
import { useEffect, useState } from "react"
import { RewardsNav } from "../../../components/rewards-nav"
import { ApiError, api, url } from "../../../lib/api"
import { fmt } from "../../../lib/format"
import { useT } from "../../../lib/i18n"

const FILTERS = ["member", "asset", "reason", "day", "order"] as const

const LedgerPage = () => {
  const { t } = useT()
  const [form, setForm] = useState<Record<string, string>>({})
  const [applied, setApplied] = useState<Record<string, string>>({})
  const [rows, setRows] = useState<any[]>([])
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const query = (extra: Record<string, string> = {}) => {
    const p = new URLSearchParams()
    for (const [k, v] of Object.entries({ ...applied, ...extra })) if (v.trim()) p.set(k, v.trim())
    return p.toString()
  }
  const load = async (after: string | null) => {
    try {
      const data = await api(`/admin/rewards/transfers?${query({ limit: "50", ...(after ? { cursor: after } : {}) })}`)
      setRows((r) => (after ? [...r, ...data.transfers] : data.transfers))
      setCursor(data.nextCursor)
      setError(null)
    } catch (e) {
      setError(e instanceof ApiError && e.issues.length ? e.issues.map((i) => `${i.field}: ${i.rule}`).join("; ") : String(e))
    }
  }
  useEffect(() => {
    load(null)
  }, [applied])
  return (
    <Container className="flex flex-col gap-y-3" data-testid="rewards-ledger">
      <RewardsNav />
      <Heading level="h1">{t("ledger.title")}</Heading>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault()
          setApplied(form)
        }}
      >
        {FILTERS.map((f) => (
          <div key={f}>
            <Label size="xsmall">{t(`ledger.${f}`)}</Label>
            <Input size="small" value={form[f] ?? ""} placeholder={t(`ledger.${f}Placeholder`)} onChange={(e) => setForm({ ...form, [f]: e.target.value })} />
          </div>
        ))}
        <Button size="small" type="submit">
          {t("ledger.apply")}
        </Button>
        <a href={url(`/admin/rewards/transfers/export?${query()}`)} download data-testid="ledger-export">
          <Button size="small" variant="secondary" type="button">
            {t("ledger.export")}
          </Button>
        </a>
      </form>
      {error ? <Text className="text-ui-fg-error">{error}</Text> : null}
      <Table>
        <Table.Header>
          <Table.Row>
            <Table.HeaderCell>#</Table.HeaderCell>
            <Table.HeaderCell>{t("ledger.day")}</Table.HeaderCell>
            <Table.HeaderCell>{t("ledger.reason")}</Table.HeaderCell>
            <Table.HeaderCell>{t("ledger.asset")}</Table.HeaderCell>
            <Table.HeaderCell>{t("ledger.amount")}</Table.HeaderCell>
            <Table.HeaderCell>{t("ledger.debit")}</Table.HeaderCell>
            <Table.HeaderCell>{t("ledger.credit")}</Table.HeaderCell>
            <Table.HeaderCell>{t("ledger.batch")}</Table.HeaderCell>
          </Table.Row>
        </Table.Header>
        <Table.Body>
          {rows.map((r) => (
            <Table.Row key={r.id}>
              <Table.Cell>{r.id}</Table.Cell>
              <Table.Cell>{r.day}</Table.Cell>
              <Table.Cell>{r.reason}</Table.Cell>
              <Table.Cell>{t(`assets.${r.asset}`)}</Table.Cell>
              <Table.Cell>{fmt(r.amount)}</Table.Cell>
              <Table.Cell className="max-w-[180px] truncate">{r.debit}</Table.Cell>
              <Table.Cell className="max-w-[180px] truncate">{r.credit}</Table.Cell>
              <Table.Cell>
                <div className="max-w-[220px] truncate">{r.batchKey}</div>
                <div className="txt-compact-xsmall text-ui-fg-subtle">
                  {r.source} · v{r.configVersion}
                </div>
              </Table.Cell>
            </Table.Row>
          ))}
        </Table.Body>
      </Table>
      <div className="flex items-center justify-between">
        <Text size="small" className="text-ui-fg-subtle">
          {t("ledger.shown", { count: rows.length })}
        </Text>
        <Button size="small" variant="secondary" disabled={!cursor} onClick={() => load(cursor)}>
          {t("ledger.more")}
        </Button>
      </div>
    </Container>
  )
}

export default LedgerPage
