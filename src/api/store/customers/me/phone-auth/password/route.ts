import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError, Modules } from "@medusajs/framework/utils"
import { PHONE_AUTH_PROVIDER_ID } from "../../../../../../providers/phone-auth/options"
import { clientIp, respondFailure } from "../../../../phone-auth/helpers"
import type { StoreChangePasswordBodyType } from "../../../../validators"
import { phoneOfCustomer } from "../phone-of-customer"

/**
 * `POST /store/customers/me/phone-auth/password` `{ code, password }` — the signed-in
 * customer's new password, with the SMS code sent to their phone for `change` (RULES.md §7).
 * A wrong or expired code is a 400 naming `code`; repeated failures lock the phone (429).
 */
export const POST = async (req: AuthenticatedMedusaRequest<StoreChangePasswordBodyType>, res: MedusaResponse) => {
  const phone = await phoneOfCustomer(req)
  if (!phone) throw new MedusaError(MedusaError.Types.NOT_ALLOWED, "phone: this account does not sign in with a phone number")
  const result = await req.scope.resolve(Modules.AUTH).updateProvider(PHONE_AUTH_PROVIDER_ID, {
    entity_id: phone,
    password: req.validatedBody.password,
    code: req.validatedBody.code,
    purpose: "change",
    ip: clientIp(req),
  })
  if (!result.success) respondFailure(res, result.error)
  else res.json({ success: true })
}
