/**
 * Actors with real credentials: an `emailpass` auth identity registered
 * through the Auth Module (password hashed by the provider, so
 * `POST /auth/{user|customer}/emailpass` works too), the user or customer
 * created and linked by Medusa's own account workflows, and a JWT signed with
 * the app's configured `jwtSecret` — the same claims Medusa's auth routes put
 * in their tokens.
 *
 * Shared by the integration tests (integration-tests/helpers re-exports it) and
 * `npm run demo` (scripts/demo/seed.ts).
 */
import {
  createCustomerAccountWorkflow,
  createUserAccountWorkflow,
} from "@medusajs/core-flows"
import type { MedusaContainer } from "@medusajs/framework/types"
import {
  ContainerRegistrationKeys,
  generateJwtToken,
  Modules,
} from "@medusajs/framework/utils"

export type AuthHeaders = { headers: { authorization: string } }

let counter = 0
function uniqueEmail(prefix: string) {
  counter += 1
  return `${prefix}-${Date.now().toString(36)}-${counter}@example.com`
}

async function registerEmailPass(
  container: MedusaContainer,
  email: string,
  password: string
) {
  const auth = container.resolve(Modules.AUTH)
  const { success, authIdentity, error } = await auth.register("emailpass", {
    body: { email, password },
  })
  if (!success || !authIdentity) {
    throw new Error(`emailpass registration of ${email} failed: ${error}`)
  }
  return authIdentity
}

/** Signs a token as Medusa's auth routes do, with the app's jwtSecret. */
export function signToken(
  container: MedusaContainer,
  claims: {
    actorType: "user" | "customer"
    actorId: string
    authIdentityId: string
  }
): string {
  const config = container.resolve(ContainerRegistrationKeys.CONFIG_MODULE)
  const { jwtSecret, jwtExpiresIn, jwtOptions } = config.projectConfig.http
  return generateJwtToken(
    {
      actor_id: claims.actorId,
      actor_type: claims.actorType,
      auth_identity_id: claims.authIdentityId,
      auth_provider: "emailpass",
      mfa_enabled: false,
      mfa_challenge_completed_at: null,
      app_metadata: { [`${claims.actorType}_id`]: claims.actorId },
      user_metadata: {},
    },
    { secret: jwtSecret, expiresIn: jwtExpiresIn ?? "1d", jwtOptions }
  )
}

export type AdminUser = {
  user: { id: string; email: string }
  email: string
  password: string
  token: string
  /** axios config for `/admin/*` routes: `api.get(url, admin.headers)` */
  headers: AuthHeaders
}

export async function createAdminUser(
  container: MedusaContainer,
  data: { email?: string; password?: string; first_name?: string; last_name?: string } = {}
): Promise<AdminUser> {
  const email = data.email ?? uniqueEmail("admin")
  const password = data.password ?? "test-password"
  const authIdentity = await registerEmailPass(container, email, password)
  const { result: user } = await createUserAccountWorkflow(container).run({
    input: {
      authIdentityId: authIdentity.id,
      userData: {
        email,
        first_name: data.first_name ?? "Admin",
        last_name: data.last_name ?? "Test",
      },
    },
  })
  const token = signToken(container, {
    actorType: "user",
    actorId: user.id,
    authIdentityId: authIdentity.id,
  })
  return {
    user: { id: user.id, email: user.email },
    email,
    password,
    token,
    headers: { headers: { authorization: `Bearer ${token}` } },
  }
}

export type TestCustomer = {
  customer: { id: string; email: string }
  email: string
  password: string
  token: string
  /**
   * Bearer header for `/store/customers/me`-style routes; store routes also
   * need the publishable key (see `storeHeaders`), merge both.
   */
  headers: AuthHeaders
}

/** A registered customer (has an account, `has_account: true`) with a token. */
export async function createCustomer(
  container: MedusaContainer,
  data: {
    email?: string
    password?: string
    first_name?: string
    last_name?: string
    phone?: string
    /** Stored on the customer at creation (e.g. `referral_code`), so `customer.created` subscribers see it. */
    metadata?: Record<string, unknown>
  } = {}
): Promise<TestCustomer> {
  const email = data.email ?? uniqueEmail("customer")
  const password = data.password ?? "test-password"
  const authIdentity = await registerEmailPass(container, email, password)
  const { result: customer } = await createCustomerAccountWorkflow(container).run({
    input: {
      authIdentityId: authIdentity.id,
      customerData: {
        email,
        first_name: data.first_name ?? "Test",
        last_name: data.last_name ?? "Customer",
        phone: data.phone,
        metadata: data.metadata,
      },
    },
  })
  const token = signToken(container, {
    actorType: "customer",
    actorId: customer.id,
    authIdentityId: authIdentity.id,
  })
  return {
    customer: { id: customer.id, email: customer.email },
    email,
    password,
    token,
    headers: { headers: { authorization: `Bearer ${token}` } },
  }
}
