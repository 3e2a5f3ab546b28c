import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { type GrowthPointsInput, runGrowthOperation } from "../growth-quote"

export type ConvertGrowthPointsStepInput = GrowthPointsInput

export const convertGrowthPointsStepId = "convert-growth-points"

/**
 * RULES.md §2.5: converts a member's growth points into stable credit at price × `stableRate`;
 * the points go to the platform treasury (not burned: the price does not change), in one
 * transaction under the program lock (`convertGrowthPoints` of the rewards module). With
 * `dry_run` it is the quote: the same engine code, rolled back. Converting more than held, or
 * while growth is off, is a 400 naming the field; nothing is written.
 *
 * Compensation: none. This is its workflow's last step, so nothing after it can fail; a
 * conversion is final like every ledger entry (RULES.md §1.8: a correction is a new transfer).
 */
export const convertGrowthPointsStep = createStep(
  convertGrowthPointsStepId,
  async (input: ConvertGrowthPointsStepInput, { container }) => {
    return new StepResponse(await runGrowthOperation(container, "convert", input))
  }
)
