import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import type { StoreSendCodeBodyType } from "../../validators"
import { clientIp, phoneAccount, phoneAuth, phoneOrThrow, respondRefusal, sendCode } from "../helpers"

/**
 * `POST /store/phone-auth/codes` `{ phone, purpose }` — sends an SMS code (RULES.md §7) for
 * signing up (`register`), signing in (`login`) or resetting a forgotten password (`reset`).
 * Rate-limited per phone and per address (429 with `Retry-After`). A phone that already has an
 * account cannot sign up again (400). For `login` and `reset`, a phone without an account gets
 * the same answer and no SMS: the route does not tell who has an account.
 */
export const POST = async (req: MedusaRequest<StoreSendCodeBodyType>, res: MedusaResponse) => {
  const { options } = phoneAuth(req.scope)
  const phone = phoneOrThrow(req.validatedBody.phone, options)
  const purpose = req.validatedBody.purpose
  const account = await phoneAccount(req.scope, phone)
  if (purpose === "register" && account?.customerId) {
    throw new MedusaError(MedusaError.Types.INVALID_DATA, "phone: already has an account; sign in or reset the password")
  }
  const answer = { phone, purpose, expires_in: options.codeTtlSeconds, resend_in: options.resendSeconds }
  if (purpose !== "register" && !account?.customerId) {
    res.status(200).json(answer)
    return
  }
  try {
    await sendCode(req.scope, { phone, purpose, ip: clientIp(req) })
  } catch (e) {
    respondRefusal(res, e)
    return
  }
  res.status(200).json(answer)
}
