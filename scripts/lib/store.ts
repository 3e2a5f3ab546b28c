/**
 * A minimal but real store, built with Medusa's own workflows: a region with
 * the system payment provider, a sales channel with a publishable API key, a
 * stock location that ships through the manual fulfillment provider to the
 * region's country, a flat-rate shipping option and a published product with
 * one priced variant. Enough for `completeCartWorkflow` to turn a cart into an
 * order. `seedProducts` adds more published products to that store.
 *
 * Shared by the integration tests (integration-tests/helpers re-exports it) and
 * `npm run demo` (scripts/demo/seed.ts).
 */
import {
  createApiKeysWorkflow,
  createLocationFulfillmentSetWorkflow,
  createProductsWorkflow,
  createRegionsWorkflow,
  createSalesChannelsWorkflow,
  createShippingOptionsWorkflow,
  createShippingProfilesWorkflow,
  createStockLocationsWorkflow,
  linkSalesChannelsToApiKeyWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
} from "@medusajs/core-flows"
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"

/** Payment provider registered by default in every Medusa app. */
export const SYSTEM_PAYMENT_PROVIDER = "pp_system_default"
/** The manual fulfillment provider (`manual` provider, id `manual`). */
export const MANUAL_FULFILLMENT_PROVIDER = "manual_manual"

export type SeedStoreOptions = {
  /** Region currency (lower case ISO 4217). Default `cny`. */
  currency?: string
  /** Country of the region and of the shipping zone (ISO 3166 alpha-2, lower case). Default `cn`. */
  country?: string
  /** Unit price of the seeded variant, in major units (Medusa 2 amounts). Default 100. */
  unitPrice?: number
  /** Flat shipping price, in major units. Default 10. */
  shippingPrice?: number
  /** Prefix for names, so several stores can live in one database. */
  name?: string
  /** Title of the seeded product. Default `<name> product`. */
  productTitle?: string
}

export type SeededStore = {
  currency: string
  country: string
  unitPrice: number
  shippingPrice: number
  region: { id: string; currency_code: string }
  salesChannel: { id: string }
  /** The publishable key (`token`) for the `x-publishable-api-key` header. */
  publishableKey: { id: string; token: string }
  stockLocation: { id: string }
  shippingProfile: { id: string }
  shippingOption: { id: string }
  product: { id: string; title: string }
  variant: { id: string; sku: string | null }
}

export async function seedStore(
  container: MedusaContainer,
  options: SeedStoreOptions = {}
): Promise<SeededStore> {
  const currency = (options.currency ?? "cny").toLowerCase()
  const country = (options.country ?? "cn").toLowerCase()
  const unitPrice = options.unitPrice ?? 100
  const shippingPrice = options.shippingPrice ?? 10
  const name = options.name ?? "Rewards test"
  const link = container.resolve(ContainerRegistrationKeys.LINK)

  const {
    result: [region],
  } = await createRegionsWorkflow(container).run({
    input: {
      regions: [
        {
          name: `${name} region`,
          currency_code: currency,
          countries: [country],
          payment_providers: [SYSTEM_PAYMENT_PROVIDER],
        },
      ],
    },
  })

  const {
    result: [salesChannel],
  } = await createSalesChannelsWorkflow(container).run({
    input: { salesChannelsData: [{ name: `${name} channel` }] },
  })

  const {
    result: [publishableKey],
  } = await createApiKeysWorkflow(container).run({
    input: {
      api_keys: [{ title: `${name} storefront`, type: "publishable", created_by: "" }],
    },
  })
  await linkSalesChannelsToApiKeyWorkflow(container).run({
    input: { id: publishableKey.id, add: [salesChannel.id] },
  })

  const {
    result: [stockLocation],
  } = await createStockLocationsWorkflow(container).run({
    input: {
      locations: [
        {
          name: `${name} warehouse`,
          address: { address_1: "1 Test Road", city: "Shanghai", country_code: country },
        },
      ],
    },
  })
  await linkSalesChannelsToStockLocationWorkflow(container).run({
    input: { id: stockLocation.id, add: [salesChannel.id] },
  })
  // The location may ship with the manual provider.
  await link.create({
    [Modules.STOCK_LOCATION]: { stock_location_id: stockLocation.id },
    [Modules.FULFILLMENT]: { fulfillment_provider_id: MANUAL_FULFILLMENT_PROVIDER },
  })

  await createLocationFulfillmentSetWorkflow(container).run({
    input: {
      location_id: stockLocation.id,
      fulfillment_set_data: { name: `${name} shipping`, type: "shipping" },
    },
  })
  const fulfillment = container.resolve(Modules.FULFILLMENT)
  const [fulfillmentSet] = await fulfillment.listFulfillmentSets({
    name: `${name} shipping`,
  })
  const serviceZone = await fulfillment.createServiceZones({
    name: `${name} zone`,
    fulfillment_set_id: fulfillmentSet.id,
    geo_zones: [{ type: "country", country_code: country }],
  })

  const {
    result: [shippingProfile],
  } = await createShippingProfilesWorkflow(container).run({
    input: { data: [{ name: `${name} profile`, type: "default" }] },
  })

  const {
    result: [shippingOption],
  } = await createShippingOptionsWorkflow(container).run({
    input: [
      {
        name: `${name} standard shipping`,
        service_zone_id: serviceZone.id,
        shipping_profile_id: shippingProfile.id,
        provider_id: MANUAL_FULFILLMENT_PROVIDER,
        price_type: "flat",
        type: { label: "Standard", description: "Standard shipping", code: "standard" },
        prices: [
          { currency_code: currency, amount: shippingPrice },
          { region_id: region.id, amount: shippingPrice },
        ],
        rules: [
          { attribute: "enabled_in_store", operator: "eq", value: "true" },
          { attribute: "is_return", operator: "eq", value: "false" },
        ],
      },
    ],
  })

  const {
    result: [product],
  } = await createProductsWorkflow(container).run({
    input: {
      products: [
        {
          title: options.productTitle ?? `${name} product`,
          status: "published",
          shipping_profile_id: shippingProfile.id,
          options: [{ title: "Size", values: ["One size"] }],
          variants: [
            {
              title: "One size",
              sku: `${name.replace(/\W+/g, "-").toUpperCase()}-1`,
              // No inventory items: stock is not what these tests are about.
              manage_inventory: false,
              options: { Size: "One size" },
              prices: [{ currency_code: currency, amount: unitPrice }],
            },
          ],
          sales_channels: [{ id: salesChannel.id }],
        },
      ],
    },
  })
  const variant = product.variants[0]

  return {
    currency,
    country,
    unitPrice,
    shippingPrice,
    region: { id: region.id, currency_code: region.currency_code },
    salesChannel: { id: salesChannel.id },
    publishableKey: { id: publishableKey.id, token: publishableKey.token },
    stockLocation: { id: stockLocation.id },
    shippingProfile: { id: shippingProfile.id },
    shippingOption: { id: shippingOption.id },
    product: { id: product.id, title: product.title },
    variant: { id: variant.id, sku: variant.sku ?? null },
  }
}

/** Headers for store routes (`/store/*`) of the seeded sales channel. */
export function storeHeaders(store: Pick<SeededStore, "publishableKey">) {
  return { headers: { "x-publishable-api-key": store.publishableKey.token } }
}

export type ProductInput = {
  title: string
  /** Unit price in major units, in the store currency. */
  price: number
  description?: string
  /** Default: derived from the title. */
  sku?: string
}

export type SeededProduct = {
  id: string
  title: string
  variant: { id: string; sku: string | null }
  price: number
}

/**
 * Published products with one priced variant each (no inventory management),
 * in the seeded store's sales channel and shipping profile.
 */
export async function seedProducts(
  container: MedusaContainer,
  store: Pick<SeededStore, "currency" | "salesChannel" | "shippingProfile">,
  products: ProductInput[]
): Promise<SeededProduct[]> {
  if (!products.length) return []
  const { result } = await createProductsWorkflow(container).run({
    input: {
      products: products.map((p) => ({
        title: p.title,
        description: p.description,
        status: "published" as const,
        shipping_profile_id: store.shippingProfile.id,
        options: [{ title: "Size", values: ["One size"] }],
        variants: [
          {
            title: "One size",
            sku: p.sku ?? p.title.replace(/\W+/g, "-").toUpperCase(),
            manage_inventory: false,
            options: { Size: "One size" },
            prices: [{ currency_code: store.currency, amount: p.price }],
          },
        ],
        sales_channels: [{ id: store.salesChannel.id }],
      })),
    },
  })
  return products.map((input) => {
    const product = result.find((p) => p.title === input.title)
    if (!product) throw new Error(`product ${input.title} was not created`)
    const variant = product.variants[0]
    return {
      id: product.id,
      title: product.title,
      variant: { id: variant.id, sku: variant.sku ?? null },
      price: input.price,
    }
  })
}
