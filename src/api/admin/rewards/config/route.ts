import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { LEGAL_NOTICE, NOTICE_VERSION } from "../lib/legal-notice"
import { adminId, handle, rewards, sendIssues } from "../lib/http"
import type { SaveConfigBody } from "../validators"

/**
 * GET /admin/rewards/config — every configuration version (newest first: who saved it, when,
 * the note, the acknowledgement), the defaults of every parameter, the business day a save
 * would take effect from, and the legal notice of RULES.md §10 with its text version.
 */
export const GET = handle(async (req: AuthenticatedMedusaRequest, res: MedusaResponse) => {
  const state = await rewards(req).adminConfigState()
  res.json({ ...state, legalNotice: { version: NOTICE_VERSION, text: LEGAL_NOTICE } })
})

/**
 * POST /admin/rewards/config — saves a draft as a new version, effective from the next
 * business day (RULES.md §7). 400 with every field error of the one config schema (§1.9);
 * turning team rewards on requires `acknowledgement` of the current notice (§10).
 */
export const POST = handle(async (req: AuthenticatedMedusaRequest<SaveConfigBody>, res: MedusaResponse) => {
  const body = req.validatedBody as SaveConfigBody
  const by = adminId(req)
  if (body.acknowledgement && body.acknowledgement.noticeVersion !== NOTICE_VERSION) {
    return sendIssues(res, [
      { field: "acknowledgement.noticeVersion", rule: `must be the current notice version ${NOTICE_VERSION} (the text changed: read it again)` },
    ])
  }
  const version = await rewards(req).adminSaveConfig(body.config, {
    createdBy: by,
    note: body.note,
    acknowledgement: body.acknowledgement
      ? { by, at: new Date().toISOString(), noticeVersion: body.acknowledgement.noticeVersion, locale: body.acknowledgement.locale ?? null }
      : null,
  })
  res.status(201).json({ version })
})
