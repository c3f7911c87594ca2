import { randomBytes } from 'node:crypto'
import type { User } from '../db/schema.ts'
import type { UserRepository } from '../db/users.ts'
import type { PasswordHasher } from './password-hasher.ts'
import type { LoginThrottle } from './throttle.ts'

export type LoginFailureReason = 'unknown_email' | 'wrong_password' | 'throttled'

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
 * Email + password login. Unknown emails cost the same bcrypt work as wrong
 * passwords (a dummy hash of the configured cost), so response times do not
 * reveal which emails have accounts.
 */
export class Authenticator {
  readonly #users: UserRepository
  readonly #hasher: PasswordHasher
  readonly #throttle: LoginThrottle
  #dummyHash: Promise<string> | undefined

  constructor({ users, hasher, throttle }: { users: UserRepository; hasher: PasswordHasher; throttle: LoginThrottle }) {
    this.#users = users
    this.#hasher = hasher
    this.#throttle = throttle
  }

  /** Prepares the dummy hash ahead of the first login (one bcrypt run at startup). */
  warmUp(): Promise<string> {
    this.#dummyHash ??= this.#hasher.hash(randomBytes(16).toString('base64url'))
    return this.#dummyHash
  }

  /**
   * Checks an email and password. `upgradeHash: false` only verifies (a
   * password change, which replaces the hash anyway).
   */
  async login(email: string, password: string, ip: string, { upgradeHash = true } = {}): Promise<LoginOutcome> {
    const verdict = await this.#throttle.reserve(ip, email)
    if (!verdict.allowed) return { ok: false, reason: 'throttled', retryAfterSeconds: verdict.retryAfterSeconds }

    let user: User | undefined
    let matches: boolean
    try {
      user = await this.#users.findByEmail(email)
      matches = await this.#hasher.verify(password, user?.passwordHash ?? (await this.warmUp()))
    } catch (error) {
      // No verdict (MySQL or a worker failed): the attempt does not count.
      await this.#throttle.release(ip, email, 'undo').catch(() => {})
      throw error
    }
    if (!user) return { ok: false, reason: 'unknown_email' }
    if (!matches) return { ok: false, reason: 'wrong_password', userId: user.id }

    await this.#throttle.release(ip, email, 'success')
    if (upgradeHash && this.#hasher.costOf(user.passwordHash) < this.#hasher.cost) {
      const passwordHash = await this.#hasher.hash(password)
      await this.#users.updatePasswordHash(user.id, passwordHash)
      return { ok: true, user: { ...user, passwordHash } }
    }
    return { ok: true, user }
  }
}
