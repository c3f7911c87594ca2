import { randomUUID } from 'node:crypto'
import { and, asc, count, eq, gt, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm'
import { isDatabaseDown, ServiceUnavailableError } from '../unavailable.ts'
import type { Database } from './client.ts'
import { type Passkey, passkeys, recoveryCodes, type TotpCredential, totpCredentials } from './schema.ts'
import { inTransaction } from './transaction.ts'
import { isDuplicateEntry, viaDatabase } from './users.ts'

export type NewPasskey = Pick<Passkey, 'userId' | 'credentialId' | 'publicKey' | 'counter' | 'transports' | 'name'> & {
  backedUp: boolean
}

export type FactorSummary = { totp: boolean; passkeys: number }

/** The second-factor tables (authenticator apps, recovery codes, passkeys), seen from the app. */
export class SecondFactorRepository {
  readonly #db: Database

  constructor(db: Database) {
    this.#db = db
  }

  /** What a user has turned on. */
  async summary(userId: string): Promise<FactorSummary> {
    const [totp, keys] = await Promise.all([
      this.hasApp(userId),
      viaDatabase(this.#db.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId))),
    ])
    return { totp, passkeys: keys[0]?.n ?? 0 }
  }

  /** Whether the user's authenticator app is on: decides whether a password login needs a second step. */
  async hasApp(userId: string): Promise<boolean> {
    const rows = await viaDatabase(
      this.#db
        .select({ userId: totpCredentials.userId })
        .from(totpCredentials)
        .where(and(eq(totpCredentials.userId, userId), isNotNull(totpCredentials.confirmedAt)))
        .limit(1),
    )
    return rows.length > 0
  }

  async totpFor(userId: string): Promise<TotpCredential | undefined> {
    const rows = await viaDatabase(
      this.#db.select().from(totpCredentials).where(eq(totpCredentials.userId, userId)).limit(1),
    )
    return rows[0]
  }

  /**
   * Keeps a new, unconfirmed secret for the user, replacing an earlier
   * unfinished enrolment; returns false (and changes nothing) when an
   * authenticator app is already on.
   */
  async startTotpEnrolment(userId: string, secretSealed: string): Promise<boolean> {
    return inTransaction(this.#db, async (tx) => {
      const [current] = await tx.select().from(totpCredentials).where(eq(totpCredentials.userId, userId)).for('update')
      if (current?.confirmedAt) return false
      if (current) {
        await tx
          .update(totpCredentials)
          .set({ secretSealed, createdAt: new Date() })
          .where(eq(totpCredentials.userId, userId))
      } else {
        // This process's clock, as on a restart, not the database's time zone:
        // the setup's 15 minutes are counted against the app's estimate of the time.
        await tx.insert(totpCredentials).values({ userId, secretSealed, createdAt: new Date() })
      }
      return true
    })
  }

  /**
   * Turns the enrolment with this sealed secret on and replaces the recovery
   * codes, in one transaction; false when there was no such unconfirmed
   * enrolment (a second tab confirmed it already, or started another).
   */
  async confirmTotp(userId: string, secretSealed: string, codeHashes: string[]): Promise<boolean> {
    return inTransaction(this.#db, async (tx) => {
      const [result] = await tx
        .update(totpCredentials)
        .set({ confirmedAt: new Date() })
        .where(
          and(
            eq(totpCredentials.userId, userId),
            isNull(totpCredentials.confirmedAt),
            eq(totpCredentials.secretSealed, secretSealed),
          ),
        )
      if (result.affectedRows !== 1) return false
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
      await tx.insert(recoveryCodes).values(codeHashes.map((codeHash) => ({ userId, codeHash })))
      return true
    })
  }

  /** Deletes an unconfirmed enrolment; an app that is on stays on. */
  async dropTotpEnrolment(userId: string): Promise<void> {
    await viaDatabase(
      this.#db
        .delete(totpCredentials)
        .where(and(eq(totpCredentials.userId, userId), isNull(totpCredentials.confirmedAt))),
    )
  }

  /** Removes the authenticator app and its recovery codes; false when none was on. */
  async disableTotp(userId: string): Promise<boolean> {
    return inTransaction(this.#db, async (tx) => {
      const [result] = await tx.delete(totpCredentials).where(eq(totpCredentials.userId, userId))
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
      return result.affectedRows > 0
    })
  }

  /** Voids every recovery code of the user and stores new ones, at once. */
  async replaceRecoveryCodes(userId: string, codeHashes: string[]): Promise<void> {
    await inTransaction(this.#db, async (tx) => {
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
      await tx.insert(recoveryCodes).values(codeHashes.map((codeHash) => ({ userId, codeHash })))
    })
  }

  /**
   * Marks one unused code used, found by any of its possible hashes (one per
   * key). Exactly one of any number of concurrent uses of a code gets true.
   */
  async useRecoveryCode(userId: string, codeHashes: string[]): Promise<boolean> {
    const [result] = await viaDatabase(
      this.#db
        .update(recoveryCodes)
        .set({ usedAt: new Date() })
        .where(
          and(
            eq(recoveryCodes.userId, userId),
            inArray(recoveryCodes.codeHash, codeHashes),
            isNull(recoveryCodes.usedAt),
          ),
        ),
    )
    return result.affectedRows === 1
  }

  /** Stores the app secret sealed anew, unless it changed since it was read (a new enrolment wins). */
  async resealTotp(userId: string, sealedBefore: string, sealedNow: string): Promise<boolean> {
    const [result] = await viaDatabase(
      this.#db
        .update(totpCredentials)
        .set({ secretSealed: sealedNow })
        .where(and(eq(totpCredentials.userId, userId), eq(totpCredentials.secretSealed, sealedBefore))),
    )
    return result.affectedRows === 1
  }

  /** Stored app secrets in user-id order, at most `limit` after `afterUserId`: for moving them all to a new key. */
  async sealedSecretsAfter(
    afterUserId: string,
    limit: number,
  ): Promise<Pick<TotpCredential, 'userId' | 'secretSealed'>[]> {
    return viaDatabase(
      this.#db
        .select({ userId: totpCredentials.userId, secretSealed: totpCredentials.secretSealed })
        .from(totpCredentials)
        .where(gt(totpCredentials.userId, afterUserId))
        .orderBy(asc(totpCredentials.userId))
        .limit(limit),
    )
  }

  async recoveryCodesLeft(userId: string): Promise<number> {
    const rows = await viaDatabase(
      this.#db
        .select({ n: count() })
        .from(recoveryCodes)
        .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt))),
    )
    return rows[0]?.n ?? 0
  }

  async listPasskeys(userId: string): Promise<Passkey[]> {
    return viaDatabase(
      this.#db
        .select()
        .from(passkeys)
        .where(eq(passkeys.userId, userId))
        .orderBy(asc(passkeys.createdAt), asc(passkeys.id)),
    )
  }

  async findPasskey(credentialId: string): Promise<Passkey | undefined> {
    const rows = await viaDatabase(
      this.#db.select().from(passkeys).where(eq(passkeys.credentialId, credentialId)).limit(1),
    )
    return rows[0]
  }

  /** Stores a registered passkey; false when that credential is registered already. */
  async addPasskey(passkey: NewPasskey): Promise<Passkey | null> {
    const row = { ...passkey, id: randomUUID(), createdAt: new Date(), lastUsedAt: null }
    try {
      await this.#db.insert(passkeys).values(row)
    } catch (error) {
      if (isDuplicateEntry(error)) return null
      throw isDatabaseDown(error) ? new ServiceUnavailableError('database', error) : error
    }
    return row
  }

  /**
   * Records a verified sign-in. The counter may only grow (a zero counter
   * means the authenticator does not count): of two uses racing with the same
   * counter, one wins and the other is refused as a possible clone.
   */
  async recordPasskeyUse(id: string, previousCounter: number, newCounter: number): Promise<boolean> {
    const counterGuard =
      newCounter === 0 && previousCounter === 0 ? eq(passkeys.counter, 0) : lt(passkeys.counter, newCounter)
    const [result] = await viaDatabase(
      this.#db
        .update(passkeys)
        .set({ counter: newCounter, lastUsedAt: new Date() })
        .where(and(eq(passkeys.id, id), counterGuard)),
    )
    return result.affectedRows === 1
  }

  async renamePasskey(userId: string, id: string, name: string): Promise<boolean> {
    const [result] = await viaDatabase(
      this.#db
        .update(passkeys)
        .set({ name })
        .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))),
    )
    // MySQL counts only changed rows: renaming to the same name still matched.
    return result.affectedRows === 1 || (await this.#owns(userId, id))
  }

  async removePasskey(userId: string, id: string): Promise<Passkey | null> {
    return inTransaction(this.#db, async (tx) => {
      const [row] = await tx
        .select()
        .from(passkeys)
        .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
        .for('update')
      if (!row) return null
      await tx.delete(passkeys).where(eq(passkeys.id, id))
      return row
    })
  }

  async #owns(userId: string, id: string): Promise<boolean> {
    const rows = await viaDatabase(
      this.#db
        .select({ one: sql<number>`1` })
        .from(passkeys)
        .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
        .limit(1),
    )
    return rows.length > 0
  }
}
