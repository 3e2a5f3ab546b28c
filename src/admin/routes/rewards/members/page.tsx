/**
 * Rewards › Members: search by name, email, phone or referral code; sort by any balance.
 * Each row links to Medusa's customer page, where the rewards widget shows the member.
 */
import { Button, Container, Heading, Input, Select, Table, Text } from "@medusajs/ui"
import { useEffect, useState } from "react"
import { Link } from "react-router-dom"
import { RewardsNav } from "../../../components/rewards-nav"
import { useApi } from "../../../lib/api"
import { fmt } from "../../../lib/format"
import { useT } from "../../../lib/i18n"

const SORTS = ["joined", "CREDIT", "POINTS", "POINTS_LOCKED", "GROWTH", "QUOTA", "WEIGHT", "EXIT_CAP"]
const PAGE = 20

const MembersPage = () => {
  const { t } = useT()
  const [q, setQ] = useState("")
  const [search, setSearch] = useState("")
  const [sort, setSort] = useState("joined")
  const [order, setOrder] = useState("desc")
  const [offset, setOffset] = useState(0)
  useEffect(() => {
    const h = setTimeout(() => {
      setSearch(q)
      setOffset(0)
    }, 300)
    return () => clearTimeout(h)
  }, [q])
  const params = new URLSearchParams({ sort, order, limit: String(PAGE), offset: String(offset) })
  if (search.trim()) params.set("q", search.trim())
  const { data, error } = useApi<any>(`/admin/rewards/members?${params}`)
  const name = (c: any) => (c ? [c.firstName, c.lastName].filter(Boolean).join(" ") || c.email : "—")
  return (
    <Container className="flex flex-col gap-y-3" data-testid="rewards-members">
      <RewardsNav />
      <Heading level="h1">{t("members.title")}</Heading>
      <div className="flex flex-wrap items-end gap-2">
        <Input className="w-80" size="small" type="search" placeholder={t("members.search")} value={q} onChange={(e) => setQ(e.target.value)} data-testid="member-search" />
        <Select size="small" value={sort} onValueChange={(v) => (setSort(v), setOffset(0))}>
          <Select.Trigger className="w-48">
            <Select.Value />
          </Select.Trigger>
          <Select.Content>
            {SORTS.map((s) => (
              <Select.Item key={s} value={s}>
                {t("members.sortBy", { what: s === "joined" ? t("members.joined") : t(`assets.${s}`) })}
              </Select.Item>
            ))}
          </Select.Content>
        </Select>
        <Select size="small" value={order} onValueChange={(v) => (setOrder(v), setOffset(0))}>
          <Select.Trigger className="w-32">
            <Select.Value />
          </Select.Trigger>
          <Select.Content>
            <Select.Item value="desc">{t("common.desc")}</Select.Item>
            <Select.Item value="asc">{t("common.asc")}</Select.Item>
          </Select.Content>
        </Select>
      </div>
      {error ? <Text className="text-ui-fg-error">{error.message}</Text> : null}
      <Table>
        <Table.Header>
          <Table.Row>
            <Table.HeaderCell>{t("members.member")}</Table.HeaderCell>
            <Table.HeaderCell>{t("members.code")}</Table.HeaderCell>
            <Table.HeaderCell>{t("assets.CREDIT")}</Table.HeaderCell>
            <Table.HeaderCell>{t("assets.POINTS")}</Table.HeaderCell>
            <Table.HeaderCell>{t("assets.POINTS_LOCKED")}</Table.HeaderCell>
            <Table.HeaderCell>{t("assets.GROWTH")}</Table.HeaderCell>
            <Table.HeaderCell>{t("assets.QUOTA")}</Table.HeaderCell>
            <Table.HeaderCell>{t("assets.WEIGHT")}</Table.HeaderCell>
          </Table.Row>
        </Table.Header>
        <Table.Body>
          {(data?.members ?? []).map((m: any) => (
            <Table.Row key={m.customerId}>
              <Table.Cell>
                <Link to={`/customers/${m.customerId}`} className="text-ui-fg-interactive">
                  {name(m.customer)}
                </Link>
                <div className="txt-compact-xsmall text-ui-fg-subtle">
                  {m.customer?.email} {m.customer?.phone ?? ""}
                </div>
              </Table.Cell>
              <Table.Cell>{m.referralCode}</Table.Cell>
              {["CREDIT", "POINTS", "POINTS_LOCKED", "GROWTH", "QUOTA", "WEIGHT"].map((a) => (
                <Table.Cell key={a}>{fmt(m.balances[a])}</Table.Cell>
              ))}
            </Table.Row>
          ))}
        </Table.Body>
      </Table>
      <div className="flex items-center justify-between">
        <Text size="small" className="text-ui-fg-subtle">
          {data ? t("members.count", { from: data.count ? offset + 1 : 0, to: Math.min(offset + PAGE, data.count), count: data.count }) : ""}
          {data?.searchTruncated ? ` · ${t("members.truncated")}` : ""}
        </Text>
        <div className="flex gap-x-2">
          <Button size="small" variant="secondary" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            {t("common.previous")}
          </Button>
          <Button size="small" variant="secondary" disabled={!data || offset + PAGE >= data.count} onClick={() => setOffset(offset + PAGE)}>
            {t("common.next")}
          </Button>
        </div>
      </div>
    </Container>
  )
}

export default MembersPage
