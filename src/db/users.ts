import { randomUUID } from 'node:crypto'
import { and, eq, isNull, lt, sql } from 'drizzle-orm'
import { isDatabaseDown, ServiceUnavailableError } from '../unavailable.ts'
import type { Database } from './client.ts'
import { type User, users } from './schema.ts'

export class DuplicateEmailError extends Error {
  override name = 'DuplicateEmailError'
}

/** The users table, seen from the app. Emails are compared and stored lower-cased. */
export class UserRepository {
  readonly #db: Database

  constructor(db: Database) {
    this.#db = db
  }

  async findByEmail(email: string): Promise<User | undefined> {
    const rows = await viaDatabase(this.#db.select().from(users).where(eq(users.email, email.toLowerCase())).limit(1))
    return rows[0]
  }

  async findById(id: string): Promise<User | undefined> {
    const rows = await viaDatabase(this.#db.select().from(users).where(eq(users.id, id)).limit(1))
    return rows[0]
  }

  /**
   * Adds an account whose address was proven at `verifiedAt`, or not yet
   * (null: sign-up; such an account cannot log in until its owner follows the
   * mailed link). Required, with no default: a caller that forgot it would
   * otherwise make an account verified without any proof of the address.
   */
  async create(email: string, passwordHash: string, { verifiedAt }: { verifiedAt: Date | null }): Promise<User> {
    const user = {
      id: randomUUID(),
      email: email.toLowerCase(),
      passwordHash,
      createdAt: new Date(),
      emailVerifiedAt: verifiedAt,
    }
    try {
      await this.#db.insert(users).values(user)
    } catch (error) {
      if (isDuplicateEntry(error)) throw new DuplicateEmailError(`${user.email} is already registered`)
      throw isDatabaseDown(error) ? new ServiceUnavailableError('database', error) : error
    }
    return user
  }

  /**
   * A password set through a link mailed to the address: the new hash and, if
   * the address was not yet proven, its proof, in one write, so nothing that
   * only an unverified account takes (markEmailVerifiedLockingPassword) can
   * land between the two. False when the account is gone.
   */
  async setPasswordProvingEmail(id: string, passwordHash: string, at: Date): Promise<boolean> {
    const [result] = await viaDatabase(
      this.#db
        .update(users)
        .set({
          passwordHash,
          emailVerifiedAt: sql`COALESCE(${users.emailVerifiedAt}, ${sql.param(at, users.emailVerifiedAt)})`,
        })
        .where(eq(users.id, id)),
    )
    return result.affectedRows === 1
  }

  /** Replaces the hash only if it is still `expected` (a re-hash must not undo a password change). */
  async replacePasswordHash(id: string, expected: string, passwordHash: string): Promise<boolean> {
    const [result] = await viaDatabase(
      this.#db
        .update(users)
        .set({ passwordHash })
        .where(and(eq(users.id, id), eq(users.passwordHash, expected))),
    )
    return result.affectedRows === 1
  }

  /** Records that the owner proved the address; an earlier proof is kept. */
  async markEmailVerified(id: string, at: Date): Promise<void> {
    await viaDatabase(
      this.#db
        .update(users)
        .set({ emailVerifiedAt: at })
        .where(and(eq(users.id, id), isNull(users.emailVerifiedAt))),
    )
  }

  /** Like markEmailVerified, also replacing the password hash, in one write that only an unverified account takes. */
  async markEmailVerifiedLockingPassword(id: string, at: Date, passwordHash: string): Promise<void> {
    await viaDatabase(
      this.#db
        .update(users)
        .set({ emailVerifiedAt: at, passwordHash })
        .where(and(eq(users.id, id), isNull(users.emailVerifiedAt))),
    )
  }

  /**
   * Moves the account to a proven new address; false when the account is gone
   * (deleted meanwhile), DuplicateEmailError when another account took the
   * address meanwhile.
   */
  async changeEmail(id: string, email: string, verifiedAt: Date): Promise<boolean> {
    try {
      const [result] = await this.#db
        .update(users)
        .set({ email: email.toLowerCase(), emailVerifiedAt: verifiedAt })
        .where(eq(users.id, id))
      return result.affectedRows === 1
    } catch (error) {
      if (isDuplicateEntry(error)) throw new DuplicateEmailError(`${email.toLowerCase()} is already registered`)
      throw isDatabaseDown(error) ? new ServiceUnavailableError('database', error) : error
    }
  }

  /** Deletes up to `limit` accounts made before `before` whose address was never proven; returns how many went. */
  async pruneUnverified(before: Date, limit: number): Promise<number> {
    const [result] = await viaDatabase(
      this.#db
        .delete(users)
        .where(and(isNull(users.emailVerifiedAt), lt(users.createdAt, before)))
        .limit(limit),
    )
    return result.affectedRows
  }

  /** Deletes the user; rows keyed to it in other tables go with it (ON DELETE CASCADE). */
  async delete(id: string): Promise<boolean> {
    const [result] = await viaDatabase(this.#db.delete(users).where(eq(users.id, id)))
    return result.affectedRows > 0
  }
}

/** MySQL's duplicate-key error, however the driver wraps it. */
export function isDuplicateEntry(error: unknown): boolean {
  const code = error as { code?: string; cause?: { code?: string } } | null
  return code?.code === 'ER_DUP_ENTRY' || code?.cause?.code === 'ER_DUP_ENTRY'
}

/** Runs a query, turning a lost database into ServiceUnavailableError (a 503, not a 500). */
export async function viaDatabase<T>(query: PromiseLike<T>): Promise<T> {
  try {
    return await query
  } catch (error) {
    throw isDatabaseDown(error) ? new ServiceUnavailableError('database', error) : error
  }
}
