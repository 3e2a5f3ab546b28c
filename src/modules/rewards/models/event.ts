import { model } from "@medusajs/framework/utils"

/**
 * The rewards inbox: every store event the program acts on (a customer joining, an order
 * placed, a refund or cancellation), recorded once under a key derived from its cause.
 * Events apply in the order they were recorded (the serial id) once their business day is
 * open (RULES.md §1.3 strict day order); a rejected or skipped event keeps its reason.
 */
const RewardsEvent = model
  .define("rewards_event", {
    id: model.autoincrement().primaryKey(),
    key: model.text(),
    kind: model.enum(["join", "order", "refund"]),
    /** Business day it belongs to (the program time zone, when it was recorded). */
    day: model.text(),
    /** What the engine needs to apply it (decimal amounts as strings). */
    payload: model.json(),
    status: model.enum(["queued", "applied", "rejected", "skipped"]),
    /** Why it was rejected or skipped, `<field>: <rule>`. */
    reason: model.text().nullable(),
    applied_at: model.dateTime().nullable(),
  })
  .indexes([{ on: ["key"], unique: true }, { on: ["status", "day"] }])

export default RewardsEvent
