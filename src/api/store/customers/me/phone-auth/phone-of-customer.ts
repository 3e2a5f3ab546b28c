import type { AuthenticatedMedusaRequest } from "@medusajs/framework/http"
import { Modules } from "@medusajs/framework/utils"
import { PHONE_AUTH_PROVIDER_ID } from "../../../../../providers/phone-auth/options"

/** The phone number the signed-in customer logs in with, or null for another kind of login. */
export async function phoneOfCustomer(req: AuthenticatedMedusaRequest): Promise<string | null> {
  const id = req.auth_context.auth_identity_id
  if (!id) return null
  const identity = await req.scope.resolve(Modules.AUTH).retrieveAuthIdentity(id, { relations: ["provider_identities"] })
  const phone = identity.provider_identities?.find((p) => p.provider === PHONE_AUTH_PROVIDER_ID)
  return phone?.entity_id ?? null
}
