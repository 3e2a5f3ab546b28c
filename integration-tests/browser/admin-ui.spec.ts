/**
 * The rewards admin in a real Chromium (Debian's `/usr/bin/chromium`, driven by
 * playwright-core; no browser download) against a real store this test starts: a fresh
 * database, `medusa db:migrate`, the demo seed (scripts/demo/seed.ts: admin user, referral
 * tree, four closed business days), then `medusa start` in development mode with the admin
 * on (MEDUSA_REWARDS_ADMIN=true; the admin is served by Vite at /app, as `npm run demo` does).
 *
 * Checks the settings page (inline validation, the §10 legal notice and its acknowledgement,
 * the version history), the customer widget (balances, an adjustment refused and one applied),
 * the dashboard (obligations and charts) and the forecast (series charted, days over backing
 * shaded), in English and Simplified Chinese, and writes the screenshots shown in README.md
 * to docs/.
 *
 * Needs: `apt-get install -y chromium fonts-noto-cjk` (without the CJK font zh-CN renders as
 * boxes). PostgreSQL comes from the integration project's global setup (DB_* or embedded).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import http from "node:http"
import net from "node:net"
import { tmpdir } from "node:os"
import path from "node:path"
import { Client } from "pg"
import { type Browser, type Page, chromium } from "playwright-core"

const ROOT = path.resolve(__dirname, "../..")
const DOCS = path.join(ROOT, "docs")
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
const DB_NAME = `medusa-rewards-browser-${process.pid}`

jest.setTimeout(15 * 60_000)

function dbUrl(name: string): string {
  const user = encodeURIComponent(process.env.DB_USERNAME || "postgres")
  const password = process.env.DB_PASSWORD ? `:${encodeURIComponent(process.env.DB_PASSWORD)}` : ""
  return `postgres://${user}${password}@${process.env.DB_HOST || "localhost"}:${process.env.DB_PORT || "5432"}/${name}`
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: dbUrl("postgres") })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once("error", reject)
    s.listen(0, () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

function get(url: string): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 30_000 }, (res) => {
      let body = ""
      res.on("data", (c) => body.length < 4096 && (body += c))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on("timeout", () => req.destroy())
    req.on("error", () => resolve(null))
  })
}

const MEDUSA = path.join(path.dirname(require.resolve("@medusajs/cli/package.json")), "cli.js")

describe("rewards admin in Chromium", () => {
  let server: ChildProcess | null = null
  let browser: Browser | null = null
  let base = ""
  let seed: { admin: { email: string; password: string } }
  let log = ""

  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: dbUrl(DB_NAME),
      MEDUSA_REWARDS_ADMIN: "true",
      MEDUSA_REWARDS_PROGRAM_FILE: path.join(ROOT, "scripts/demo/program.json"),
      MEDUSA_DISABLE_TELEMETRY: "true",
      LOG_LEVEL: "error",
      ...extra,
    }
    for (const k of ["DB_HOST", "DB_PORT", "DB_USERNAME", "DB_PASSWORD", "DB_TEMP_NAME", "NODE_OPTIONS"]) delete e[k]
    return e
  }

  const medusa = (args: string[], extra: Record<string, string> = {}) => {
    const run = spawnSync(process.execPath, [MEDUSA, ...args], { cwd: ROOT, env: env(extra), encoding: "utf8", timeout: 5 * 60_000 })
    if (run.status !== 0) throw new Error(`medusa ${args.join(" ")} exited ${run.status}:\n${run.stdout}\n${run.stderr}`.slice(-6000))
  }

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk`)
    await admin(`drop database if exists "${DB_NAME}"`)
    await admin(`create database "${DB_NAME}"`)
    medusa(["db:migrate"])
    const out = path.join(mkdtempSync(path.join(tmpdir(), "rewards-browser-")), "seed.json")
    medusa(["exec", "./scripts/demo/seed.ts"], { MEDUSA_REWARDS_DEMO_OUT: out })
    seed = JSON.parse(readFileSync(out, "utf8"))

    const port = await freePort()
    base = `http://localhost:${port}`
    const cors = `http://localhost:${port}`
    server = spawn(process.execPath, [MEDUSA, "start", "--port", String(port)], {
      cwd: ROOT,
      env: env({ NODE_ENV: "development", STORE_CORS: cors, ADMIN_CORS: cors, AUTH_CORS: cors }),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    })
    server.stdout!.on("data", (c) => (log = (log + c).slice(-20_000)))
    server.stderr!.on("data", (c) => (log = (log + c).slice(-20_000)))
    const deadline = Date.now() + 240_000
    for (;;) {
      const app = await get(`${base}/app`)
      if (app?.status === 200 && /<html/i.test(app.body) && (await get(`${base}/health`))?.status === 200) break
      if (server.exitCode !== null) throw new Error(`medusa start exited ${server.exitCode}:\n${log}`)
      if (Date.now() > deadline) throw new Error(`no admin at ${base}/app:\n${log}`)
      await new Promise((r) => setTimeout(r, 1000))
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] })
  })

  afterAll(async () => {
    await browser?.close().catch(() => undefined)
    if (server?.pid && server.exitCode === null) {
      try {
        process.kill(-server.pid, "SIGTERM")
      } catch {}
      await new Promise((r) => setTimeout(r, 3000))
      try {
        process.kill(-server.pid, "SIGKILL")
      } catch {}
    }
    await admin(`drop database if exists "${DB_NAME}" with (force)`).catch(() => undefined)
  })

  /** A signed-in admin page in `lng` (the dashboard's language cookie). */
  async function signedIn(lng: "en" | "zhCN"): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width: 1440, height: 1000 }, locale: lng === "zhCN" ? "zh-CN" : "en-US" })
    await context.addCookies([{ name: "lng", value: lng, url: base }])
    const page = await context.newPage()
    // the first load of the admin compiles it (Vite, development mode): be patient
    page.setDefaultNavigationTimeout(240_000)
    page.setDefaultTimeout(90_000)
    await page.goto(`${base}/app/login`, { waitUntil: "domcontentloaded" })
    await page.locator('input[name="email"]').fill(seed.admin.email)
    await page.locator('input[name="password"]').fill(seed.admin.password)
    await page.locator('button[type="submit"]').click()
    await page.waitForURL((u) => !u.pathname.includes("/login"), { timeout: 180_000 })
    return page
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(DOCS, name), fullPage: true })

  async function fetchJson(page: Page, url: string): Promise<any> {
    return page.evaluate(async (u) => (await fetch(u, { credentials: "include" })).json(), url)
  }

  it("settings: inline validation, the legal notice in Chinese, acknowledgement and history in English", async () => {
    const zh = await signedIn("zhCN")
    await zh.goto(`${base}/app/settings/rewards`)
    await zh.getByRole("heading", { name: "奖励规则" }).first().waitFor({ timeout: 90_000 })
    await zh.getByText("增值积分与恒定积分").first().waitFor()
    await zh.locator('[data-testid="field-schemes.release.teamRewardsEnabled"] button[role="switch"]').click()
    await zh.getByText("《禁止传销条例》第七条").waitFor()
    await zh.locator('[data-testid="legal-notice"]').scrollIntoViewIfNeeded()
    await shot(zh, "admin-settings-zh.png")
    await zh.context().close()

    const page = await signedIn("en")
    await page.goto(`${base}/app/settings/rewards`)
    await page.getByRole("heading", { name: "Reward rules" }).first().waitFor({ timeout: 90_000 })
    const poolRate = page.locator('[data-testid="field-schemes.growth.poolRate"] input')
    await poolRate.fill("1.5")
    await page.locator('[data-testid="field-schemes.growth.poolRate"] [data-testid="field-error"]').getByText("must be between 0 and 1").waitFor()
    expect(await page.locator('[data-testid="save-config"]').isDisabled()).toBe(true)
    await poolRate.fill("0.25")
    await page.locator('[data-testid="validity"]').getByText("Valid").waitFor()

    await page.locator('[data-testid="field-schemes.release.teamRewardsEnabled"] button[role="switch"]').click()
    await page.getByText("Article 7 of the Regulations on Prohibition of Pyramid Selling").waitFor()
    expect(await page.locator('[data-testid="save-config"]').isDisabled()).toBe(true) // not acknowledged yet
    await page.locator('[data-testid="ack-checkbox"]').click()
    await page.getByPlaceholder("Note for the version history (optional): why this change?").fill("Lower pool rate; team rewards after legal review")
    await page.locator('[data-testid="save-config"]').click()
    await page.getByText(/Saved as version 2/).waitFor()
    const history = page.locator('[data-testid="version-history"]')
    await history.getByText("schemes.growth.poolRate: 0.3 → 0.25").waitFor()
    await history.getByText(/Team rewards notice acknowledged by admin@medusa-rewards.test/).waitFor()
    const state = await fetchJson(page, `${base}/admin/rewards/config`)
    expect(state.versions[0].acknowledgement).toMatchObject({ noticeVersion: state.legalNotice.version, locale: "en" })
    await shot(page, "admin-settings.png")
    await page.context().close()
  })

  it("customer widget: balances, a refused and an applied adjustment", async () => {
    const page = await signedIn("en")
    await page.goto(`${base}/app`)
    const { members } = await fetchJson(page, `${base}/admin/rewards/members?sort=POINTS_LOCKED&order=desc&limit=1`)
    const id = members[0].customerId
    await page.goto(`${base}/app/customers/${id}`)
    const widget = page.locator('[data-testid="customer-rewards"]')
    await widget.waitFor({ timeout: 90_000 })
    await widget.getByText(members[0].referralCode).first().waitFor()
    await widget.locator('[data-testid="member-team"]').getByText(/cash/).waitFor()
    const before = Number((await widget.locator('[data-testid="balance-CREDIT"]').innerText()).replace(/,/g, ""))

    await widget.locator('[data-testid="adjust-amount"]').fill(`-${before + 1000}`)
    await widget.locator('[data-testid="adjust-reason"]').fill("test: too much")
    await widget.locator('[data-testid="adjust-submit"]').click()
    await widget.locator('[data-testid="adjust-error"]').getByText(/would make the CREDIT balance negative/).waitFor()

    await widget.locator('[data-testid="adjust-amount"]').fill("25")
    await widget.locator('[data-testid="adjust-reason"]').fill("Goodwill for a late delivery")
    await widget.locator('[data-testid="adjust-submit"]').click()
    await widget.locator('[data-testid="recent-transfers"]').getByText("admin.adjust").first().waitFor()
    const after = Number((await widget.locator('[data-testid="balance-CREDIT"]').innerText()).replace(/,/g, ""))
    expect(after).toBeCloseTo(before + 25, 4)
    await widget.scrollIntoViewIfNeeded()
    await widget.screenshot({ path: path.join(DOCS, "admin-customer-widget.png") })
    await page.context().close()
  })

  it("dashboard: obligations next to their backing, per-day charts (English and Chinese)", async () => {
    for (const lng of ["en", "zhCN"] as const) {
      const page = await signedIn(lng)
      await page.goto(`${base}/app/rewards`)
      const ob = page.locator('[data-testid="obligations"]')
      await ob.waitFor({ timeout: 90_000 })
      await ob.getByText(lng === "en" ? "Outstanding quota" : "未发放的分红额度").first().waitFor()
      await ob.getByText(lng === "en" ? "Growth points × price" : "增值积分 × 价格").first().waitFor()
      await page.locator('[data-testid="dashboard-charts"] svg polyline').first().waitFor()
      expect(await page.locator('[data-testid="dashboard-table"] tbody tr').count()).toBeGreaterThanOrEqual(4)
      await shot(page, lng === "en" ? "admin-dashboard.png" : "admin-dashboard-zh.png")
      await page.context().close()
    }
  })

  it("forecast: runs the engine over a path where sales stop, shades the days over backing", async () => {
    const page = await signedIn("en")
    await page.goto(`${base}/app/rewards/forecast`)
    await page.locator('[data-testid="forecast-run"]').waitFor({ timeout: 90_000 })
    await page.locator('[data-testid="forecast-horizon"]').fill("120")
    await page.locator('[data-testid="forecast-stopDay"]').fill("60")
    await page.locator('[data-testid="forecast-run"]').click()
    const result = page.locator('[data-testid="forecast-result"]')
    await result.waitFor({ timeout: 120_000 })
    await result.locator('[data-testid="forecast-exceeds"]').getByText(/Obligations exceed their backing from/).waitFor()
    expect(await result.locator('[data-testid="forecast-obligations"] svg polyline').count()).toBe(3)
    expect(await result.locator('[data-testid="forecast-obligations"] svg rect').count()).toBeGreaterThan(0)
    // bad input is named
    await page.locator('[data-testid="forecast-horizon"]').fill("400")
    await page.locator('[data-testid="forecast-run"]').click()
    await page.locator('[data-testid="forecast-error"]').getByText(/horizon: must be at most 365/).waitFor()
    await page.locator('[data-testid="forecast-horizon"]').fill("120")
    await page.locator('[data-testid="forecast-run"]').click()
    await page.locator('[data-testid="forecast-run"]:enabled').waitFor({ timeout: 120_000 })
    await result.waitFor()
    await shot(page, "admin-forecast.png")
    await page.context().close()
  })
})
