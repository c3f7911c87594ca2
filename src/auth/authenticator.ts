import { randomBytes } from 'node:crypto'
import type { User } from '../db/schema.ts'
import type { UserRepository } from '../db/users.ts'
import type { AccountThrottle } from './account-throttle.ts'
import { FailureTiming } from './failure-timing.ts'
import { normalizePassword } from './forms.ts'
import type { PasswordHasher } from './password-hasher.ts'
import type { AttemptThrottle, ThrottleVerdict } from './throttle.ts'

/** `password_replaced`: right for a hash that a password change replaced while bcrypt ran. */
export type LoginFailureReason = 'unknown_email' | 'wrong_password' | 'password_replaced' | 'throttled'

export type LoginOutcome =
  | { ok: true; user: User }
  | {
      ok: false
      reason: LoginFailureReason
      retryAfterSeconds?: number
      /** The account a wrong password was tried on. */
      userId?: string
    }

/**
 * `signal`: the request's (a client that left gives up its place in the bcrypt
 * queue). `knownDeviceId`: the id of a device cookie that names this account
 * (DeviceCookies.knownDeviceId), so the attempt counts on that browser's own
 * budget rather than the account's.
 */
export type AttemptOptions = { signal?: AbortSignal; knownDeviceId?: string }
/* A verdict, and for a match whether the stored hash holds the normalised form. */
type Checked = { ok: true; user: User; normalizedMatched: boolean } | Extract<LoginOutcome, { ok: false }>

/**
 * Email + password checks, each one throttled. Unknown emails cost the same
 * bcrypt work as wrong passwords (a dummy hash), and every failed attempt takes
 * at least as long as the slowest recent one (FailureTiming), so response
 * times reveal neither which emails have accounts nor which hashes are older.
 * Callers run each check inside a CredentialGate slot, taken before anything
 * else: a check refused for load then costs no Redis command at all.
 */
export class Authenticator {
  readonly #users: UserRepository
  readonly #hasher: PasswordHasher
  readonly #throttle: AttemptThrottle
  readonly #accounts: AccountThrottle
  readonly #timing = new FailureTiming()
  #dummyHash: Promise<string> | undefined

  constructor({
    users,
    hasher,
    throttle,
    accounts,
  }: {
    users: UserRepository
    hasher: PasswordHasher
    throttle: AttemptThrottle
    accounts: AccountThrottle
  }) {
    this.#users = users
    this.#hasher = hasher
    this.#throttle = throttle
    this.#accounts = accounts
  }

  /** Prepares the dummy hash and the failure timing ahead of the first login (bcrypt at startup). */
  async warmUp(): Promise<string> {
    this.#dummyHash ??= this.#hasher.hash(randomBytes(16).toString('base64url'))
    const dummy = await this.#dummyHash
    if (!this.#timing.primed)
      this.#timing.record(this.#hasher.cost, (await this.#hasher.verifyTimed('warm-up', dummy)).workMs)
    return dummy
  }

  /** A login: on success, a hash below the configured cost or of an unnormalised password is replaced. */
  login(email: string, password: string, ip: string, options: AttemptOptions = {}): Promise<LoginOutcome> {
    return this.#attempt(email, password, ip, { ...options, upgradeHash: true })
  }

  /**
   * Checks the signed-in user's current password (a password change, a
   * re-authentication): throttled like a login, since a stolen session must
   * not be able to guess it freely. Never rewrites the hash.
   */
  verifyPassword(email: string, password: string, ip: string, options: AttemptOptions = {}): Promise<LoginOutcome> {
    return this.#attempt(email, password, ip, { ...options, upgradeHash: false })
  }

  /*
   * The throttles come first, being cheap: the client's (per IP), then the
   * account's (or the known browser's). Anything that ends without a verdict
   * (the bcrypt queue full, MySQL or a worker failed, the client left) gives
   * the attempts back.
   */
  async #attempt(
    email: string,
    password: string,
    ip: string,
    { signal, knownDeviceId, upgradeHash }: AttemptOptions & { upgradeHash: boolean },
  ): Promise<LoginOutcome> {
    const byClient = await this.#throttle.reserve(ip, email)
    if (!byClient.allowed) return { ok: false, reason: 'throttled', retryAfterSeconds: byClient.retryAfterSeconds }
    const undo = async () => {
      await Promise.allSettled([
        this.#throttle.release(ip, email, 'undo'),
        this.#accounts.release(email, knownDeviceId, 'undo'),
      ])
    }
    let byAccount: ThrottleVerdict
    try {
      byAccount = await this.#accounts.reserve(email, knownDeviceId)
    } catch (error) {
      await this.#throttle.release(ip, email, 'undo').catch(() => {})
      throw error
    }
    if (!byAccount.allowed) {
      await this.#throttle.release(ip, email, 'undo')
      return { ok: false, reason: 'throttled', retryAfterSeconds: byAccount.retryAfterSeconds }
    }

    let outcome: Checked
    try {
      outcome = await this.#check(email, password, signal)
    } catch (error) {
      await undo()
      throw error
    }
    if (!outcome.ok) return outcome
    await Promise.all([
      this.#throttle.release(ip, email, 'success'),
      this.#accounts.release(email, knownDeviceId, 'success'),
    ])
    if (!upgradeHash) return { ok: true, user: outcome.user }
    // The password was right: a re-hash that cannot run now (the bcrypt queue
    // full, MySQL failing) waits for the next login rather than failing this one.
    return this.#upgraded(outcome, password, signal).catch(() => ({ ok: true, user: outcome.user }))
  }

  async #check(email: string, password: string, signal: AbortSignal | undefined): Promise<Checked> {
    const user = await this.#users.findByEmail(email)
    const hash = user?.passwordHash ?? (await this.warmUp())
    const workMs: number[] = []
    // The normalised form first: it is what every hash made since holds.
    for (const form of new Set([normalizePassword(password), password])) {
      const check = await this.#hasher.verifyTimed(form, hash, { signal })
      workMs.push(check.workMs)
      if (!check.matches) continue
      if (!user) break
      // The hash may have been replaced (a password change) while bcrypt ran.
      const now = await this.#users.findById(user.id)
      if (now?.passwordHash !== user.passwordHash) return { ok: false, reason: 'password_replaced' }
      return { ok: true, user, normalizedMatched: form === normalizePassword(password) }
    }
    await this.#timing.padFailure(this.#hasher.costOf(hash), workMs)
    if (!user) return { ok: false, reason: 'unknown_email' }
    return { ok: false, reason: 'wrong_password', userId: user.id }
  }

  /* A hash below the configured cost, or of the unnormalised password, is replaced. */
  async #upgraded(
    { user, normalizedMatched }: { user: User; normalizedMatched: boolean },
    password: string,
    signal: AbortSignal | undefined,
  ): Promise<LoginOutcome> {
    if (normalizedMatched && this.#hasher.costOf(user.passwordHash) >= this.#hasher.cost) return { ok: true, user }
    const passwordHash = await this.#hasher.hash(normalizePassword(password), { signal })
    // Only over the hash just verified: a password change meanwhile wins.
    if (await this.#users.replacePasswordHash(user.id, user.passwordHash, passwordHash)) {
      return { ok: true, user: { ...user, passwordHash } }
    }
    return { ok: true, user }
  }
}
