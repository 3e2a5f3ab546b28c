import { Text } from "@medusajs/ui"
import { Link, useLocation } from "react-router-dom"
import { useT } from "../lib/i18n"

const TABS = [
  { to: "/rewards", key: "dashboard" },
  { to: "/rewards/members", key: "members" },
  { to: "/rewards/ledger", key: "ledger" },
  { to: "/rewards/forecast", key: "forecast" },
  { to: "/settings/rewards", key: "settings" },
]

/** The rewards pages' own tabs (the sidebar lists the dashboard only). */
export function RewardsNav() {
  const { t } = useT()
  const { pathname } = useLocation()
  return (
    <div className="flex gap-x-1 border-b border-ui-border-base pb-2" data-testid="rewards-nav">
      {TABS.map((tab) => {
        const active = pathname.endsWith(tab.to)
        return (
          <Link key={tab.to} to={tab.to} className={`rounded-md px-3 py-1 ${active ? "bg-ui-bg-base-pressed" : "hover:bg-ui-bg-base-hover"}`}>
            <Text size="small" weight={active ? "plus" : "regular"}>
              {t(`nav.${tab.key}`)}
            </Text>
          </Link>
        )
      })}
    </div>
  )
}
