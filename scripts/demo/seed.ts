/**
 * Seeds the `npm run demo` store; run by scripts/demo.js as
 *
 *   medusa exec ./scripts/demo/seed.ts
 *
 * (worker mode "server": no scheduled jobs run while it seeds). Everything goes
 * through Medusa's own workflows and the rewards module's public service:
 *
 * - the admin user (emailpass, so the admin login works);
 * - a CNY region with the system payment provider, a sales channel with a
 *   publishable key, a stock location shipping through the manual provider,
 *   a flat-rate shipping option and a small published catalog; the store's
 *   currency and defaults point at them;
 * - four past business days (today − 4 … today − 1, in the program's time
 *   zone). On each day the rewards clock is set to that day; customers join
 *   (registered accounts; a referral is the referrer's code in
 *   `metadata.referral_code`, so the tree has four levels) and place orders
 *   (cart → items → shipping → system payment → `completeCartWorkflow`); then
 *   the clock moves to the next morning and `closeDueDays()` closes the day.
 *   `joinMemberWorkflow` / `awardOrderWorkflow` are called right after each
 *   customer / order, so nothing depends on when the subscribers run (both
 *   are idempotent).
 *
 * Writes what the demo prints (publishable key, counts, closed days, rewards
 * summary) as JSON to `MEDUSA_REWARDS_DEMO_OUT` when set. A database seeded
 * before (its demo sales channel exists) is not seeded again: the output then
 * describes what is there.
 */
import { readFileSync, writeFileSync } from "node:fs"
import { addDays } from "../../src/engine/days"
import { businessDayOf } from "../../src/modules/rewards/business-day"
import { seededRandom } from "../../src/simulator/random"
import path from "node:path"
import { updateStoresWorkflow } from "@medusajs/core-flows"
import type { ExecArgs, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { REWARDS_MODULE, type RewardsModuleService } from "../../src/modules/rewards"
import type { RewardsSummary } from "../../src/modules/rewards/types"
import { awardOrderWorkflow, joinMemberWorkflow } from "../../src/workflows"
import { createAdminUser, createCustomer } from "../lib/auth"
import { placeOrder, type LineInput } from "../lib/order"
import { seedProducts, seedStore, type ProductInput, type SeededProduct } from "../lib/store"

// ---------------------------------------------------------------------------------------
// Demo data
// ---------------------------------------------------------------------------------------

export const DEMO_ADMIN = { email: "admin@medusa-rewards.test", password: "supersecret" }
export const DEMO_CUSTOMER_PASSWORD = "supersecret"
const STORE_NAME = "medusa-rewards demo"
const DAYS = 4

const CATALOG: ProductInput[] = [
  { title: "Jasmine green tea, 250 g", price: 58, sku: "TEA-JASMINE-250" },
  { title: "Longjing tea gift box", price: 268, sku: "TEA-LONGJING-BOX" },
  { title: "Yixing clay teapot", price: 388, sku: "POT-YIXING" },
  { title: "Celadon tea cup set", price: 198, sku: "CUP-CELADON-6" },
  { title: "Bamboo tea tray", price: 128, sku: "TRAY-BAMBOO" },
  { title: "Silk scarf", price: 599, sku: "SCARF-SILK" },
]

type DemoCustomer = {
  key: string
  first_name: string
  last_name: string
  city: string
  /** key of the referrer; none for a root */
  referrer?: string
  /** business day (0-based) on which the customer joins */
  day: number
}

/** A referral tree of 20 customers over 4 levels; parents join before children. */
const CUSTOMERS: DemoCustomer[] = [
  // level 0
  { key: "li.wei", first_name: "Wei", last_name: "Li", city: "Shanghai", day: 0 },
  { key: "wang.fang", first_name: "Fang", last_name: "Wang", city: "Hangzhou", day: 0 },
  // level 1
  { key: "zhang.min", first_name: "Min", last_name: "Zhang", city: "Shanghai", referrer: "li.wei", day: 0 },
  { key: "liu.yang", first_name: "Yang", last_name: "Liu", city: "Suzhou", referrer: "li.wei", day: 0 },
  { key: "chen.jing", first_name: "Jing", last_name: "Chen", city: "Nanjing", referrer: "li.wei", day: 1 },
  { key: "yang.lei", first_name: "Lei", last_name: "Yang", city: "Hangzhou", referrer: "wang.fang", day: 0 },
  { key: "zhao.xin", first_name: "Xin", last_name: "Zhao", city: "Ningbo", referrer: "wang.fang", day: 1 },
  // level 2
  { key: "huang.tao", first_name: "Tao", last_name: "Huang", city: "Shanghai", referrer: "zhang.min", day: 1 },
  { key: "zhou.yan", first_name: "Yan", last_name: "Zhou", city: "Shanghai", referrer: "zhang.min", day: 2 },
  { key: "wu.hao", first_name: "Hao", last_name: "Wu", city: "Suzhou", referrer: "liu.yang", day: 1 },
  { key: "xu.li", first_name: "Li", last_name: "Xu", city: "Wuxi", referrer: "liu.yang", day: 2 },
  { key: "sun.qiang", first_name: "Qiang", last_name: "Sun", city: "Nanjing", referrer: "chen.jing", day: 2 },
  { key: "ma.lin", first_name: "Lin", last_name: "Ma", city: "Hangzhou", referrer: "yang.lei", day: 1 },
  { key: "zhu.hong", first_name: "Hong", last_name: "Zhu", city: "Shaoxing", referrer: "yang.lei", day: 2 },
  { key: "hu.jun", first_name: "Jun", last_name: "Hu", city: "Ningbo", referrer: "zhao.xin", day: 2 },
  // level 3
  { key: "guo.ping", first_name: "Ping", last_name: "Guo", city: "Shanghai", referrer: "huang.tao", day: 2 },
  { key: "he.mei", first_name: "Mei", last_name: "He", city: "Shanghai", referrer: "zhou.yan", day: 3 },
  { key: "lin.feng", first_name: "Feng", last_name: "Lin", city: "Suzhou", referrer: "wu.hao", day: 3 },
  { key: "luo.na", first_name: "Na", last_name: "Luo", city: "Hangzhou", referrer: "ma.lin", day: 3 },
  { key: "gao.bo", first_name: "Bo", last_name: "Gao", city: "Ningbo", referrer: "hu.jun", day: 3 },
]

/** Orders placed on each business day. */
const ORDERS_PER_DAY = [7, 8, 8, 9]

const email = (c: DemoCustomer) => `${c.key}@medusa-rewards.test`

// ---------------------------------------------------------------------------------------
// Business days in the program's time zone
// ---------------------------------------------------------------------------------------


/** Offset of `timeZone` from UTC at `instant`, in ms. */
function zoneOffset(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(instant))
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value)
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"))
  return wall - Math.floor(instant / 1000) * 1000
}

/** The instant at wall-clock time `hour:minute` of `day` in `timeZone`. */
export function atLocalTime(day: string, hour: number, minute: number, timeZone: string): Date {
  const [y, m, d] = day.split("-").map(Number)
  const wall = Date.UTC(y, m - 1, d, hour, minute)
  let instant = wall - zoneOffset(wall, timeZone)
  instant = wall - zoneOffset(instant, timeZone)
  return new Date(instant)
}

// ---------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------

export type DemoSeedOutput = {
  reused: boolean
  admin: { email: string; password: string }
  customerPassword: string
  sampleCustomer: string | null
  publishableKey: string | null
  currency: string
  products: number
  customers: number
  orders: number
  days: string[]
  closedDays: string[]
  rewards: RewardsSummary
}

function writeOutput(output: DemoSeedOutput) {
  const file = process.env.MEDUSA_REWARDS_DEMO_OUT
  if (file) writeFileSync(file, JSON.stringify(output, null, 2))
}

function readProgram(): { currency: string; timezone: string } {
  const file =
    process.env.MEDUSA_REWARDS_PROGRAM_FILE || path.join(__dirname, "program.json")
  const program = JSON.parse(readFileSync(file, "utf8"))
  return {
    currency: String(program.currency ?? "CNY"),
    timezone: String(program.timezone ?? "Asia/Shanghai"),
  }
}

function resolveRewards(container: MedusaContainer): RewardsModuleService {
  if (!container.hasRegistration(REWARDS_MODULE)) {
    throw new Error(
      "no `rewards` module is registered: medusa-config.ts must list ./src/modules/rewards"
    )
  }
  return container.resolve<RewardsModuleService>(REWARDS_MODULE)
}

// ---------------------------------------------------------------------------------------
// Seed
// ---------------------------------------------------------------------------------------

/** What an earlier run left in the database. */
async function describeExisting(
  container: MedusaContainer,
  rewards: RewardsModuleService,
  currency: string
): Promise<DemoSeedOutput> {
  const apiKeys = container.resolve(Modules.API_KEY)
  const [key] = await apiKeys.listApiKeys({ title: `${STORE_NAME} storefront`, type: "publishable" })
  const [, customers] = await container.resolve(Modules.CUSTOMER).listAndCountCustomers({})
  const [, orders] = await container.resolve(Modules.ORDER).listAndCountOrders({})
  const [, products] = await container.resolve(Modules.PRODUCT).listAndCountProducts({})
  return {
    reused: true,
    admin: DEMO_ADMIN,
    customerPassword: DEMO_CUSTOMER_PASSWORD,
    sampleCustomer: email(CUSTOMERS[0]),
    publishableKey: key?.token ?? null,
    currency,
    products,
    customers,
    orders,
    days: [],
    closedDays: [],
    rewards: await rewards.getSummary(),
  }
}

export default async function seedDemo({ container }: ExecArgs) {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const program = readProgram()
  const currency = program.currency.toLowerCase()
  const timeZone = program.timezone
  const rewards = resolveRewards(container)

  const salesChannels = container.resolve(Modules.SALES_CHANNEL)
  const [existing] = await salesChannels.listSalesChannels({ name: `${STORE_NAME} channel` })
  if (existing) {
    logger.info("demo seed: this database was seeded before; nothing to do")
    writeOutput(await describeExisting(container, rewards, currency))
    return
  }

  // Admin, store, catalog -----------------------------------------------------------------
  await createAdminUser(container, {
    email: DEMO_ADMIN.email,
    password: DEMO_ADMIN.password,
    first_name: "Demo",
    last_name: "Admin",
  })

  const [first, ...rest] = CATALOG
  const store = await seedStore(container, {
    name: STORE_NAME,
    currency,
    country: "cn",
    unitPrice: first.price,
    shippingPrice: 10,
    productTitle: first.title,
  })
  const products: SeededProduct[] = [
    { id: store.product.id, title: store.product.title, variant: store.variant, price: first.price },
    ...(await seedProducts(container, store, rest)),
  ]

  const [medusaStore] = await container.resolve(Modules.STORE).listStores({})
  if (medusaStore) {
    await updateStoresWorkflow(container).run({
      input: {
        selector: { id: medusaStore.id },
        update: {
          name: STORE_NAME,
          supported_currencies: [{ currency_code: currency, is_default: true }],
          default_sales_channel_id: store.salesChannel.id,
          default_region_id: store.region.id,
          default_location_id: store.stockLocation.id,
        },
      },
    })
  }
  logger.info(`demo seed: store and ${products.length} products ready`)

  // Business days --------------------------------------------------------------------------
  const today = businessDayOf(new Date(), timeZone)
  const days = Array.from({ length: DAYS }, (_, k) => addDays(today, k - DAYS))
  let now = atLocalTime(days[0], 9, 0, timeZone)
  rewards.setClock(() => new Date(now.getTime()))
  const advance = (minutes: number) => {
    now = new Date(now.getTime() + minutes * 60_000)
  }

  const random = seededRandom(20_251_124) // the same orders on every run
  const customerIds = new Map<string, string>()
  const referralCodes = new Map<string, string>()
  const joined: DemoCustomer[] = []
  const closedDays: string[] = []
  let orders = 0

  for (let k = 0; k < DAYS; k++) {
    now = atLocalTime(days[k], 9, 0, timeZone)

    for (const c of CUSTOMERS.filter((c) => c.day === k)) {
      advance(7)
      const referralCode = c.referrer ? referralCodes.get(c.referrer) : undefined
      if (c.referrer && !referralCode) {
        throw new Error(`no referral code for ${c.referrer}, the referrer of ${c.key}`)
      }
      const { customer } = await createCustomer(container, {
        email: email(c),
        password: DEMO_CUSTOMER_PASSWORD,
        first_name: c.first_name,
        last_name: c.last_name,
        metadata: referralCode ? { referral_code: referralCode } : undefined,
      })
      customerIds.set(c.key, customer.id)
      joined.push(c)
      // Also run by the customer.created subscriber, later; joining twice does nothing.
      await joinMemberWorkflow(container).run({ input: { customer_id: customer.id } })
      const member = await rewards.getMemberByCustomerId(customer.id)
      if (!member) throw new Error(`customer ${c.key} did not become a member`)
      referralCodes.set(c.key, member.referral_code)
    }

    for (let n = 0; n < ORDERS_PER_DAY[k]; n++) {
      advance(23)
      const buyer = joined[Math.floor(random() * joined.length)]
      const lines = new Map<string, number>()
      const lineCount = 1 + Math.floor(random() * 2)
      for (let i = 0; i < lineCount; i++) {
        const product = products[Math.floor(random() * products.length)]
        lines.set(product.variant.id, (lines.get(product.variant.id) ?? 0) + 1 + Math.floor(random() * 2))
      }
      const items: LineInput[] = [...lines].map(([variant_id, quantity]) => ({ variant_id, quantity }))
      const { order_id } = await placeOrder(container, store, {
        customer_id: customerIds.get(buyer.key)!,
        items,
        address: { first_name: buyer.first_name, last_name: buyer.last_name, city: buyer.city },
      })
      orders += 1
      // Also run by the order.placed subscriber, later; awarding twice does nothing.
      await awardOrderWorkflow(container).run({ input: { order_id } })
    }

    // The next morning: the day is over and gets closed, as the daily job would.
    now = atLocalTime(addDays(days[k], 1), 0, 5, timeZone)
    closedDays.push(...(await rewards.closeDueDays()))
    logger.info(
      `demo seed: ${days[k]}: ${joined.length} customers, ${orders} orders, ` +
        `days closed so far: ${closedDays.join(", ") || "none"}`
    )
  }

  writeOutput({
    reused: false,
    admin: DEMO_ADMIN,
    customerPassword: DEMO_CUSTOMER_PASSWORD,
    sampleCustomer: email(CUSTOMERS[0]),
    publishableKey: store.publishableKey.token,
    currency,
    products: products.length,
    customers: joined.length,
    orders,
    days,
    closedDays,
    rewards: await rewards.getSummary(),
  })
}
