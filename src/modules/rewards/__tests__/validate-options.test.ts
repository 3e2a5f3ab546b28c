import validateOptionsLoader from "../loaders/validate-options"

const load = (options: unknown) => validateOptionsLoader({ options } as any)

describe("plugin options are validated when the store starts", () => {
  it("accepts no options and a valid program", async () => {
    await expect(load(undefined)).resolves.toBeUndefined()
    await expect(load({ program: { currency: "CNY", schemes: { growth: { enabled: true } } } })).resolves.toBeUndefined()
  })

  it("names the field and the rule of an invalid program", async () => {
    await expect(load({ program: { currency: "yuan" } })).rejects.toThrow(
      "medusa-rewards plugin option program.currency: must be a 3-letter currency code (uppercase letters, e.g. CNY)"
    )
    await expect(load({ program: { schemes: { growth: { enabled: true, poolRate: "1.5" } } } })).rejects.toThrow(
      /^medusa-rewards plugin option program\.schemes\.growth\.poolRate: /
    )
  })

  it("refuses a close time that is not HH:MM and a storefront URL that is not http(s)", async () => {
    await expect(load({ closeAt: "0:5" })).rejects.toThrow("closeAt: must be a local time HH:MM")
    await expect(load({ closeAt: "24:00" })).rejects.toThrow("closeAt: must be a local time HH:MM")
    await expect(load({ closeAt: "23:59", storefrontUrl: "https://shop.example.com" })).resolves.toBeUndefined()
    await expect(load({ storefrontUrl: "shop.example.com" })).rejects.toThrow("storefrontUrl: must be an http(s) URL")
  })

  it("refuses a day batch size that is not a positive integer", async () => {
    await expect(load({ dayBatchSize: 0 })).rejects.toThrow("dayBatchSize: must be an integer ≥ 1")
    await expect(load({ dayBatchSize: 2.5 })).rejects.toThrow("dayBatchSize: must be an integer ≥ 1")
  })
})
