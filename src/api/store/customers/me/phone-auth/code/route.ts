import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import { clientIp, phoneAuth, respondRefusal, sendCode } from "../../../../phone-auth/helpers"
import { phoneOfCustomer } from "../phone-of-customer"

/**
 * `POST /store/customers/me/phone-auth/code` — sends an SMS code (purpose `change`) to the
 * signed-in customer's own phone, to change their password (RULES.md §7). Rate-limited (429).
 */
export const POST = async (req: AuthenticatedMedusaRequest, res: MedusaResponse) => {
  const phone = await phoneOfCustomer(req)
  if (!phone) throw new MedusaError(MedusaError.Types.NOT_ALLOWED, "phone: this account does not sign in with a phone number")
  const { options } = phoneAuth(req.scope)
  try {
    await sendCode(req.scope, { phone, purpose: "change", ip: clientIp(req) })
  } catch (e) {
    respondRefusal(res, e)
    return
  }
  res.json({ phone, purpose: "change", expires_in: options.codeTtlSeconds, resend_in: options.resendSeconds })
}
