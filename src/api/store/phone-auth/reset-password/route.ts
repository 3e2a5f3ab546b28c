import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { Modules } from "@medusajs/framework/utils"
import { PHONE_AUTH_PROVIDER_ID } from "../../../../providers/phone-auth/options"
import type { StoreResetPasswordBodyType } from "../../validators"
import { clientIp, phoneAuth, phoneOrThrow, respondFailure } from "../helpers"

/**
 * `POST /store/phone-auth/reset-password` `{ phone, code, password }` — a forgotten password,
 * reset with the SMS code sent for `reset` (RULES.md §7). A wrong or expired code is a 400
 * naming `code`; repeated failures lock the phone (429).
 */
export const POST = async (req: MedusaRequest<StoreResetPasswordBodyType>, res: MedusaResponse) => {
  const { options } = phoneAuth(req.scope)
  const phone = phoneOrThrow(req.validatedBody.phone, options)
  const auth = req.scope.resolve(Modules.AUTH)
  const result = await auth.updateProvider(PHONE_AUTH_PROVIDER_ID, {
    entity_id: phone,
    password: req.validatedBody.password,
    code: req.validatedBody.code,
    purpose: "reset",
    ip: clientIp(req),
  })
  if (!result.success) respondFailure(res, result.error)
  else res.status(200).json({ success: true })
}

