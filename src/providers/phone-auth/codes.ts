/**
 * SMS verification codes of phone accounts (RULES.md §7): random, stored only as an HMAC,
 * expiring (5 minutes by default), single use, rate-limited per phone and per IP address, and
 * locked after repeated failures. Shared by the auth provider (which verifies codes and
 * passwords) and the store routes (which send codes), over the tables `rewards_phone_code` and
 * `rewards_phone_event` of the rewards module.
 *
 * Everything that counts attempts runs in one transaction holding a per-phone advisory lock, so
 * fifty guesses sent at once are counted one after another: the lock cannot be raced.
 */
import { createHmac, randomInt, timingSafeEqual } from "node:crypto"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { generateEntityId } from "@medusajs/framework/utils"
import type { ResolvedPhoneAuthOptions } from "./options"

export type CodePurpose = "register" | "login" | "reset" | "change"
export const CODE_PURPOSES: readonly CodePurpose[] = ["register", "login", "reset", "change"]

/**
 * A refusal: `invalid` (a wrong or expired code: 400 in the store routes, 401 on Medusa's auth
 * routes), `locked` (too many failures) or `rate_limited` (too many codes): 429.
 */
export class PhoneCodeError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
    readonly kind: "invalid" | "locked" | "rate_limited",
    readonly retryAfterSeconds?: number
  ) {
    super(`${field}: ${rule}`)
    this.name = "PhoneCodeError"
  }
}

type Row = Record<string, any>

async function rows(db: Knex | Knex.Transaction, sql: string, bindings: readonly unknown[] = []): Promise<Row[]> {
  return (await db.raw(sql, bindings as Knex.RawBinding[])).rows as Row[]
}

const LIVE = "deleted_at is null"

export class PhoneCodes {
  constructor(
    private readonly db: Knex,
    private readonly options: ResolvedPhoneAuthOptions,
    private readonly secret: string
  ) {}

  /** HMAC-SHA256 of the code, bound to its phone and purpose: a code is useless anywhere else. */
  hash(phone: string, purpose: CodePurpose, code: string): string {
    return createHmac("sha256", this.secret).update(`${phone}|${purpose}|${code}`).digest("hex")
  }

  /** Runs `fn` in a transaction holding the phone's advisory lock. */
  async withPhone<T>(phone: string, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction(async (trx) => {
      await trx.raw(`select pg_advisory_xact_lock(hashtext('medusa-rewards:phone:' || ?))`, [phone])
      return fn(trx)
    })
  }

  /** Refuses while the phone, or the IP address, has too many recent failures. */
  async assertNotLocked(trx: Knex.Transaction, phone: string, ip: string | null): Promise<void> {
    const window = this.options.lockMinutes
    const [p] = await rows(
      trx,
      `select count(*)::int as n, min(created_at) as oldest from rewards_phone_event
        where phone = ? and kind = 'failure' and created_at > now() - make_interval(mins => ?)
          and created_at > coalesce((select max(created_at) from rewards_phone_event where phone = ? and kind = 'success'), '-infinity')`,
      [phone, window, phone]
    )
    if (p.n >= this.options.maxFailures) {
      throw new PhoneCodeError(
        "phone",
        `too many failed attempts; locked, try again in ${this.retryAfter(p.oldest, window)} s`,
        "locked",
        this.retryAfter(p.oldest, window)
      )
    }
    if (ip) {
      const [a] = await rows(
        trx,
        `select count(*)::int as n, min(created_at) as oldest from rewards_phone_event
          where ip = ? and kind = 'failure' and created_at > now() - make_interval(mins => ?)`,
        [ip, window]
      )
      if (a.n >= this.options.maxFailuresPerIp) {
        throw new PhoneCodeError(
          "ip",
          `too many failed attempts from this address; try again in ${this.retryAfter(a.oldest, window)} s`,
          "locked",
          this.retryAfter(a.oldest, window)
        )
      }
    }
  }

  private retryAfter(oldest: Date | string | null, minutes: number): number {
    if (!oldest) return minutes * 60
    const until = new Date(oldest).getTime() + minutes * 60_000
    return Math.max(1, Math.ceil((until - Date.now()) / 1000))
  }

  async recordFailure(trx: Knex.Transaction, phone: string, ip: string | null): Promise<void> {
    await trx.raw(`insert into rewards_phone_event (phone, ip, kind) values (?, ?, 'failure')`, [phone, ip])
  }

  async recordSuccess(trx: Knex.Transaction, phone: string, ip: string | null): Promise<void> {
    await trx.raw(`insert into rewards_phone_event (phone, ip, kind) values (?, ?, 'success')`, [phone, ip])
  }

  /**
   * A new code for `phone` and `purpose`, within the rate limits: one per purpose every
   * `resendSeconds`, `maxCodesPerPhonePerHour` per phone, `maxCodesPerIpPerHour` per address,
   * none while the phone is locked. Earlier unused codes of the purpose stop working. Only the
   * HMAC is stored; the code itself is returned to be sent, once.
   */
  async issue(phone: string, purpose: CodePurpose, ip: string | null): Promise<{ id: string; code: string; expiresAt: Date }> {
    const o = this.options
    return this.withPhone(phone, async (trx) => {
      await this.assertNotLocked(trx, phone, ip)
      const [last] = await rows(
        trx,
        `select created_at from rewards_phone_code where phone = ? and purpose = ? and ${LIVE} order by created_at desc limit 1`,
        [phone, purpose]
      )
      if (last) {
        const wait = Math.ceil((new Date(last.created_at).getTime() + o.resendSeconds * 1000 - Date.now()) / 1000)
        if (wait > 0) throw new PhoneCodeError("phone", `a code was sent moments ago; request another in ${wait} s`, "rate_limited", wait)
      }
      const [perPhone] = await rows(
        trx,
        `select count(*)::int as n, min(created_at) as oldest from rewards_phone_code
          where phone = ? and created_at > now() - interval '1 hour' and ${LIVE}`,
        [phone]
      )
      if (perPhone.n >= o.maxCodesPerPhonePerHour) {
        const wait = this.retryAfter(perPhone.oldest, 60)
        throw new PhoneCodeError("phone", `too many codes sent to this phone; try again in ${wait} s`, "rate_limited", wait)
      }
      if (ip) {
        const [perIp] = await rows(
          trx,
          `select count(*)::int as n, min(created_at) as oldest from rewards_phone_code
            where ip = ? and created_at > now() - interval '1 hour' and ${LIVE}`,
          [ip]
        )
        if (perIp.n >= o.maxCodesPerIpPerHour) {
          const wait = this.retryAfter(perIp.oldest, 60)
          throw new PhoneCodeError("ip", `too many codes requested from this address; try again in ${wait} s`, "rate_limited", wait)
        }
      }
      const code = String(randomInt(0, 10 ** o.codeLength)).padStart(o.codeLength, "0")
      const id = generateEntityId(undefined, "rwotp")
      // earlier codes of the purpose stop working: only the newest one is valid
      await trx.raw(
        `update rewards_phone_code set consumed_at = now(), updated_at = now()
          where phone = ? and purpose = ? and consumed_at is null and ${LIVE}`,
        [phone, purpose]
      )
      const [row] = await rows(
        trx,
        `insert into rewards_phone_code (id, phone, purpose, code_hash, ip, expires_at)
         values (?, ?, ?, ?, ?, now() + make_interval(secs => ?)) returning expires_at`,
        [id, phone, purpose, this.hash(phone, purpose, code), ip, o.codeTtlSeconds]
      )
      return { id, code, expiresAt: new Date(row.expires_at) }
    })
  }

  /** Withdraws a code that could not be sent (it never counts against the limits). */
  async discard(id: string): Promise<void> {
    await this.db.raw(`update rewards_phone_code set deleted_at = now() where id = ?`, [id])
  }

  /**
   * Checks a code inside the phone's transaction: the newest unused, unexpired code of the
   * purpose must match. A wrong code counts as a failure (and as an attempt on the code); a
   * right one is consumed unless `consume` is false (a pre-check: the provider consumes it).
   */
  async check(
    trx: Knex.Transaction,
    phone: string,
    purpose: CodePurpose,
    code: unknown,
    ip: string | null,
    consume = true
  ): Promise<void> {
    await this.assertNotLocked(trx, phone, ip)
    const [row] = await rows(
      trx,
      `select id, code_hash from rewards_phone_code
        where phone = ? and purpose = ? and consumed_at is null and expires_at > now() and ${LIVE}
        order by created_at desc limit 1`,
      [phone, purpose]
    )
    const given = typeof code === "string" ? code.trim() : ""
    const ok =
      row !== undefined &&
      /^\d+$/.test(given) &&
      timingSafeEqual(Buffer.from(this.hash(phone, purpose, given), "hex"), Buffer.from(row.code_hash, "hex"))
    if (!ok) {
      if (row) await trx.raw(`update rewards_phone_code set attempts = attempts + 1, updated_at = now() where id = ?`, [row.id])
      await this.recordFailure(trx, phone, ip)
      throw new PhoneCodeError("code", "is wrong or has expired", "invalid")
    }
    if (consume) {
      await trx.raw(`update rewards_phone_code set consumed_at = now(), updated_at = now() where id = ?`, [row.id])
      await this.recordSuccess(trx, phone, ip)
    }
  }

  /** {@link check} in a transaction of its own (the failure is committed even though it throws). */
  async verify(phone: string, purpose: CodePurpose, code: unknown, ip: string | null, consume = true): Promise<void> {
    let failure: unknown = null
    await this.withPhone(phone, async (trx) => {
      try {
        await this.check(trx, phone, purpose, code, ip, consume)
      } catch (e) {
        // keep the recorded failure: commit, then rethrow
        failure = e
      }
    })
    if (failure) throw failure
  }
}
