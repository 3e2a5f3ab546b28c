import { model } from "@medusajs/framework/utils"

/**
 * The close of one business day (RULES.md §6): the step reached, the aggregates fixed before
 * a step's first batch and the report. A crashed close resumes from here.
 */
const RewardsDayRun = model
  .define("rewards_day_run", {
    id: model.id({ prefix: "rwrun" }).primaryKey(),
    day: model.text(),
    step: model.enum(["mature", "exit", "cycle", "release", "report", "done"]),
    config_version: model.number(),
    exit_due: model.json().nullable(),
    cycle: model.json().nullable(),
    report: model.json().nullable(),
    started_at: model.dateTime().nullable(),
    finished_at: model.dateTime().nullable(),
    error: model.text().nullable(),
  })
  .indexes([{ on: ["day"], unique: true }])

export default RewardsDayRun
