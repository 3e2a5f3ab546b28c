import { model } from "@medusajs/framework/utils"

/**
 * A member of the program (RULES.md §1.1): one per Medusa customer, placed in the
 * referral forest when joining. The engine's member id is the customer id; amounts are
 * exact decimals, weights whole numbers. What the day close computes of a member (balances, team
 * performance, star level) lives in its day snapshot, `rewards_member_day` (Migration20261203070000);
 * `rewards_member_now` joins them.
 */
const RewardsMember = model
  .define("rewards_member", {
    id: model.id({ prefix: "rwmem" }).primaryKey(),
    customer_id: model.text(),
    /** Join order (RULES.md §2.4 forced exits follow it). */
    seq: model.number(),
    /** The referrer's customer id; fixed at joining. */
    referrer_id: model.text().nullable(),
    referral_code: model.text(),
    /** Generations to the root of the referral forest (root = 0). */
    depth: model.number(),
    joined_day: model.text(),
    /** Cumulative net eligible amount of matured orders (RULES.md §3.1, §4.4). */
    net_spend: model.bigNumber(),
    purchase_weight: model.bigNumber(),
    referral_weight: model.bigNumber(),
    admin_weight: model.bigNumber(),
    /** Membership level index (RULES.md §4.1). */
    level: model.number().nullable(),
    has_orders: model.boolean().default(false),
  })
  .indexes([
    { on: ["customer_id"], unique: true },
    { on: ["seq"], unique: true },
    { on: ["referral_code"], unique: true },
    { on: ["referrer_id"] },
    // the release pass reads members deepest first, join order within a depth
    { on: ["depth", "seq"] },
  ])

export default RewardsMember
