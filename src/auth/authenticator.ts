import { randomBytes } from 'node:crypto'
import type { User } from '../db/schema.ts'
import type { UserRepository } from '../db/users.ts'
import type { PasswordHasher } from './password-hasher.ts'
import type { LoginThrottle } from './throttle.ts'

export type LoginFailureReason = 'unknown_email' | 'wrong_password' | 'throttled'

export type LoginOutcome =
  | { ok: true; user: User }
  | { ok: false; reason: LoginFailureReason; retryAfterSeconds?: number }

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

  async login(email: string, password: string, ip: string): Promise<LoginOutcome> {
    const verdict = await this.#throttle.check(ip, email)
    if (!verdict.allowed) return { ok: false, reason: 'throttled', retryAfterSeconds: verdict.retryAfterSeconds }

    const user = await this.#users.findByEmail(email)
    const matches = await this.#hasher.verify(password, user?.passwordHash ?? (await this.warmUp()))
    if (!user || !matches) {
      await this.#throttle.recordFailure(ip, email)
      return { ok: false, reason: user ? 'wrong_password' : 'unknown_email' }
    }
    await this.#throttle.recordSuccess(ip, email)
    if (this.#hasher.costOf(user.passwordHash) < this.#hasher.cost) {
      const passwordHash = await this.#hasher.hash(password)
      await this.#users.updatePasswordHash(user.id, passwordHash)
      return { ok: true, user: { ...user, passwordHash } }
    }
    return { ok: true, user }
  }
}
