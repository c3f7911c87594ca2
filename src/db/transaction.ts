import { setTimeout as sleep } from 'node:timers/promises'
import { errorCodes } from '../unavailable.ts'
import type { Database } from './client.ts'
import { viaDatabase } from './users.ts'

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0]

const ATTEMPTS = 10

/** MySQL's deadlock error, however deep the driver and our own errors wrap it. */
export function isDeadlock(error: unknown): boolean {
  return errorCodes(error).includes('ER_LOCK_DEADLOCK')
}

/**
 * Runs `work` in a transaction, and again when InnoDB chose it as the victim
 * of a deadlock: it was rolled back whole, so running it again is safe, and
 * InnoDB's documentation asks for exactly that. Locking a row that does not
 * exist yet (SELECT … FOR UPDATE before an INSERT, a DELETE before inserting
 * anew) locks the gap where it would go, so two users' transactions in the
 * same gap deadlock each other even though they touch different rows.
 * A short random pause keeps the retries from meeting again.
 */
export async function inTransaction<T>(db: Database, work: (tx: Transaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await viaDatabase(db.transaction(work))
    } catch (error) {
      if (!isDeadlock(error) || attempt >= ATTEMPTS) throw error
      await sleep(Math.random() * 10 * attempt)
    }
  }
}
