/**
 * Settings › Rewards: every parameter of every scheme (RULES.md §1.9, §2–§4), grouped, with
 * defaults, units and inline validation from the one config schema (POST
 * /admin/rewards/config/validate as you type). Saving creates a new version effective from the
 * next business day (§7); the history shows who changed what. Team rewards (§4.4–4.5) can only
 * be turned on after the legal notice of §10 is acknowledged.
 */
import { defineRouteConfig } from "@medusajs/admin-sdk"
import { CogSixTooth } from "@medusajs/icons"
import { Alert, Badge, Button, Checkbox, Container, Heading, Input, Label, Switch, Table, Text, Textarea, toast } from "@medusajs/ui"
import { Fragment, useEffect, useMemo, useRef, useState } from "react"
import { type Field, GROUPS, type ListKind, diff, fieldName, getAt, intValue, ruleKey, setAt } from "../../../components/config-fields"
import { type Issue, ApiError, api, useApi } from "../../../lib/api"
import { useNoticeLocale, useT } from "../../../lib/i18n"

type State = {
  versions: { version: number; effectiveFrom: string | null; createdAt: string; createdBy: string | null; note: string | null; acknowledgement: any; config: any }[]
  defaults: any
  today: string
  openDay: string | null
  nextEffectiveFrom: string | null
  teamRewardsAcknowledged: boolean
  legalNotice: { version: string; text: { en: string; "zh-CN": string } }
}

function useRule() {
  const { t } = useT()
  return (rule: string) => {
    const key = ruleKey(rule)
    if (!key) return rule
    const translated = t(`rules.${key}`)
    return translated === `rewards.rules.${key}` ? rule : `${translated} (${rule})`
  }
}

const SettingsPage = () => {
  const { t } = useT()
  const locale = useNoticeLocale()
  const ruleText = useRule()
  const { data: state, reload } = useApi<State>("/admin/rewards/config")
  const { data: users } = useApi<{ users: { id: string; email: string }[] }>("/admin/users?limit=200&fields=id,email")
  const [draft, setDraft] = useState<any>(null)
  const [texts, setTexts] = useState<Record<string, string>>({})
  const [issues, setIssues] = useState<Issue[]>([])
  const [note, setNote] = useState("")
  const [ack, setAck] = useState(false)
  const [saving, setSaving] = useState(false)
  const timer = useRef<ReturnType<typeof setTimeout>>()

  const current = state?.versions[0]?.config
  useEffect(() => {
    if (current && draft === null) setDraft(current)
  }, [current, draft])

  // inline validation against the one schema, debounced
  useEffect(() => {
    if (!draft) return
    clearTimeout(timer.current)
    timer.current = setTimeout(() => {
      api<{ issues: Issue[] }>("/admin/rewards/config/validate", { method: "POST", body: { config: draft } })
        .then((r) => setIssues(r.issues))
        .catch(() => undefined)
    }, 300)
    return () => clearTimeout(timer.current)
  }, [draft])

  const teamOn = draft ? getAt(draft, "schemes.release.teamRewardsEnabled") === true : false
  const teamWasOn = current ? getAt(current, "schemes.release.teamRewardsEnabled") === true : false
  const needsAck = teamOn && !(teamWasOn && state?.teamRewardsAcknowledged)
  const changes = useMemo(() => (draft && current ? diff(current, draft) : []), [draft, current])
  const issuesAt = (path: string) => issues.filter((i) => i.field === path || i.field.startsWith(`${path}[`) || i.field.startsWith(`${path}.`))

  if (!state || !draft) {
    return (
      <Container>
        <Text>{t("common.loading")}</Text>
      </Container>
    )
  }

  const set = (path: string, value: unknown) => setDraft((d: any) => setAt(d, path, value))
  const email = (id: string | null) => users?.users.find((u) => u.id === id)?.email ?? id ?? "—"

  const save = async () => {
    setSaving(true)
    try {
      const body: any = { config: draft }
      if (note.trim()) body.note = note.trim()
      if (needsAck) body.acknowledgement = { noticeVersion: state.legalNotice.version, locale, accepted: true }
      const { version } = await api("/admin/rewards/config", { method: "POST", body })
      toast.success(t("settings.saved", { version: version.version, day: version.effectiveFrom ?? t("settings.fromStart") }))
      setNote("")
      setAck(false)
      setDraft(null)
      reload()
    } catch (e) {
      if (e instanceof ApiError && e.issues.length) setIssues(e.issues)
      toast.error(e instanceof Error ? e.message : String(e))
    } finally {
      setSaving(false)
    }
  }

  const input = (f: Field) => {
    const value = getAt(draft, f.path)
    const id = `field-${f.path}`
    const errors = issuesAt(f.path)
    const defaultValue = getAt(state.defaults, f.path)
    const shown = texts[f.path] ?? (value === null || value === undefined ? "" : String(value))
    return (
      <div key={f.path} className="flex flex-col gap-y-1" data-testid={id}>
        <Label htmlFor={id} size="small" weight="plus">
          {t(`fields.${fieldName(f.path)}`)}
        </Label>
        {f.kind === "bool" ? (
          <Switch
            id={id}
            checked={value === true}
            onCheckedChange={(on) => {
              set(f.path, on)
              if (f.path.endsWith("teamRewardsEnabled")) setAck(false)
            }}
          />
        ) : (
          <Input
            id={id}
            size="small"
            value={shown}
            aria-invalid={errors.length > 0}
            onChange={(e) => {
              const text = e.target.value
              setTexts((x) => ({ ...x, [f.path]: text }))
              set(f.path, f.kind === "int" || f.kind === "intOrNull" ? intValue(text, f.kind === "intOrNull") : text)
            }}
          />
        )}
        <Text size="xsmall" className="text-ui-fg-subtle">
          {f.unit ? `${t(`units.${f.unit}`)} · ` : ""}
          {t("settings.default")}: {defaultValue === null ? "—" : String(defaultValue)}
        </Text>
        {errors.map((i) => (
          <Text key={i.field + i.rule} size="xsmall" className="text-ui-fg-error" data-testid="field-error">
            {i.field !== f.path ? `${i.field}: ` : ""}
            {ruleText(i.rule)}
          </Text>
        ))}
      </div>
    )
  }

  const list = (path: string, kind: ListKind) => {
    const errors = issuesAt(path)
    const items: any[] = kind === "exchangeRates" ? Object.entries(getAt(draft, path) ?? {}) : (getAt(draft, path) ?? [])
    const columns: string[] =
      kind === "tiers" ? ["name", "min", "max", "rate"] : kind === "levels" ? ["name", "threshold", "multiple"] : kind === "teamLevels" ? ["name", "threshold", "rate"] : kind === "shareRates" ? ["rate"] : ["code", "rate"]
    const update = (i: number, col: string, text: string) => {
      if (kind === "shareRates") return set(path, items.map((v, k) => (k === i ? text : v)))
      if (kind === "exchangeRates") {
        const entries = items.map(([c, r]: [string, string], k: number) => (k === i ? (col === "code" ? [text, r] : [c, text]) : [c, r]))
        return set(path, Object.fromEntries(entries))
      }
      const v = col === "min" || col === "max" ? (text.trim() === "" && col === "max" ? null : intValue(text, false)) : col === "name" && text === "" ? undefined : text
      set(path, items.map((it, k) => (k === i ? { ...it, [col]: v } : it)))
    }
    const add = () => {
      if (kind === "shareRates") return set(path, [...items, "0"])
      if (kind === "exchangeRates") return set(path, Object.fromEntries([...items, ["USD", "7"]]))
      const last = items[items.length - 1]
      const blank: any = kind === "tiers" ? { min: last ? (last.max ?? last.min) + 1 : 0, max: null, rate: "0" } : { threshold: "0", [kind === "levels" ? "multiple" : "rate"]: "0" }
      set(path, [...items, blank])
    }
    const remove = (i: number) =>
      kind === "exchangeRates" ? set(path, Object.fromEntries(items.filter((_, k) => k !== i))) : set(path, items.filter((_, k) => k !== i))
    return (
      <div key={path} className="flex flex-col gap-y-2 col-span-full" data-testid={`list-${path}`}>
        <Label size="small" weight="plus">
          {t(`fields.${fieldName(path)}`)}
        </Label>
        <Text size="xsmall" className="text-ui-fg-subtle">
          {t(`lists.${kind}`)}
        </Text>
        <Table>
          <Table.Header>
            <Table.Row>
              {columns.map((c) => (
                <Table.HeaderCell key={c}>{t(`columns.${c}`)}</Table.HeaderCell>
              ))}
              <Table.HeaderCell />
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {items.map((it, i) => (
              <Table.Row key={i}>
                {columns.map((c) => {
                  const v = kind === "shareRates" ? it : kind === "exchangeRates" ? (c === "code" ? it[0] : it[1]) : it[c]
                  return (
                    <Table.Cell key={c}>
                      <Input size="small" value={v === null || v === undefined ? "" : String(v)} onChange={(e) => update(i, c, e.target.value)} />
                    </Table.Cell>
                  )
                })}
                <Table.Cell>
                  <Button size="small" variant="transparent" onClick={() => remove(i)}>
                    {t("common.remove")}
                  </Button>
                </Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table>
        <div>
          <Button size="small" variant="secondary" onClick={add}>
            {t("common.add")}
          </Button>
        </div>
        {errors.map((i) => (
          <Text key={i.field + i.rule} size="xsmall" className="text-ui-fg-error" data-testid="field-error">
            {i.field}: {ruleText(i.rule)}
          </Text>
        ))}
      </div>
    )
  }

  return (
    <div className="flex flex-col gap-y-3" data-testid="rewards-settings">
      <Container className="flex flex-col gap-y-3">
        <div className="flex items-start justify-between gap-x-4">
          <div>
            <Heading level="h1">{t("settings.title")}</Heading>
            <Text size="small" className="text-ui-fg-subtle">
              {t("settings.effective", { day: state.nextEffectiveFrom ?? t("settings.fromStart") })}
            </Text>
          </div>
          <div className="flex items-center gap-x-2">
            <Badge color={issues.length ? "red" : "green"} data-testid="validity">
              {issues.length ? t("settings.invalid", { count: issues.length }) : t("settings.valid")}
            </Badge>
            <Button
              size="small"
              data-testid="save-config"
              isLoading={saving}
              disabled={issues.length > 0 || changes.length === 0 || (needsAck && !ack)}
              onClick={save}
            >
              {t("settings.save")}
            </Button>
          </div>
        </div>
        <Textarea placeholder={t("settings.notePlaceholder")} value={note} onChange={(e) => setNote(e.target.value)} rows={1} />
        {changes.length > 0 ? (
          <Text size="small" data-testid="pending-changes">
            {t("settings.pending", { count: changes.length })}: {changes.map((c) => c.field).join(", ")}
          </Text>
        ) : null}
      </Container>
      {GROUPS.map((g) => (
        <Container key={g.id} className="flex flex-col gap-y-4" data-testid={`group-${g.id}`}>
          <div>
            <Heading level="h2">{t(`groups.${g.id}.title`)}</Heading>
            <Text size="small" className="text-ui-fg-subtle">
              {t(`groups.${g.id}.description`)}
            </Text>
          </div>
          {g.id === "program" ? (
            <Text size="xsmall" className="text-ui-fg-subtle">
              {t("settings.pendingHint")}
            </Text>
          ) : null}
          {g.id === "team" && teamOn && needsAck ? (
            <Alert variant="warning" data-testid="legal-notice">
              <div className="flex flex-col gap-y-2">
                <Text size="small" weight="plus">
                  {t("settings.noticeTitle")}
                </Text>
                <Text size="small">{state.legalNotice.text[locale]}</Text>
                <div className="flex items-center gap-x-2">
                  <Checkbox id="ack" checked={ack} onCheckedChange={(v) => setAck(v === true)} data-testid="ack-checkbox" />
                  <Label htmlFor="ack" size="small">
                    {t("settings.acknowledge")}
                  </Label>
                </div>
                <Text size="xsmall" className="text-ui-fg-subtle">
                  {t("settings.noticeVersion", { version: state.legalNotice.version })}
                </Text>
              </div>
            </Alert>
          ) : null}
          <div className="grid grid-cols-1 gap-4 md:grid-cols-3">
            {g.fields.map(input)}
            {g.lists.map((l) => list(l.path, l.kind))}
          </div>
        </Container>
      ))}
      <Container className="flex flex-col gap-y-3" data-testid="version-history">
        <Heading level="h2">{t("settings.history")}</Heading>
        <Table>
          <Table.Header>
            <Table.Row>
              <Table.HeaderCell>{t("settings.version")}</Table.HeaderCell>
              <Table.HeaderCell>{t("settings.effectiveFrom")}</Table.HeaderCell>
              <Table.HeaderCell>{t("settings.savedBy")}</Table.HeaderCell>
              <Table.HeaderCell>{t("settings.changes")}</Table.HeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {state.versions.map((v, i) => {
              const prev = state.versions[i + 1]
              const d = prev ? diff(prev.config, v.config) : []
              return (
                <Table.Row key={v.version}>
                  <Table.Cell>{v.version}</Table.Cell>
                  <Table.Cell>{v.effectiveFrom ?? t("settings.fromStart")}</Table.Cell>
                  <Table.Cell>
                    <div className="flex flex-col">
                      <span>{email(v.createdBy)}</span>
                      <span className="txt-compact-xsmall text-ui-fg-subtle">{new Date(v.createdAt).toLocaleString()}</span>
                    </div>
                  </Table.Cell>
                  <Table.Cell>
                    <div className="flex flex-col gap-y-1 py-1">
                      {v.note ? <Text size="xsmall">“{v.note}”</Text> : null}
                      {prev ? (
                        d.length ? (
                          d.slice(0, 8).map((c) => (
                            <Text key={c.field} size="xsmall" className="text-ui-fg-subtle">
                              {c.field}: {c.from ?? "—"} → {c.to ?? "—"}
                            </Text>
                          ))
                        ) : (
                          <Text size="xsmall">{t("settings.noChanges")}</Text>
                        )
                      ) : (
                        <Text size="xsmall">{t("settings.initial")}</Text>
                      )}
                      {d.length > 8 ? <Text size="xsmall">+{d.length - 8}</Text> : null}
                      {v.acknowledgement ? (
                        <Badge size="2xsmall" color="orange">
                          {t("settings.acknowledgedBy", { who: email(v.acknowledgement.by), at: new Date(v.acknowledgement.at).toLocaleString() })}
                        </Badge>
                      ) : null}
                    </div>
                  </Table.Cell>
                </Table.Row>
              )
            })}
          </Table.Body>
        </Table>
      </Container>
      <Fragment />
    </div>
  )
}

export const config = defineRouteConfig({
  label: "rewards.nav.settings",
  translationNs: "translation",
  icon: CogSixTooth,
})

export default SettingsPage
