import { and, desc, eq, gte, lt, sql } from 'drizzle-orm'
import type { Database } from './client.ts'
import { type AuthEventRow, authEvents } from './schema.ts'
import { viaDatabase } from './users.ts'

export type NewAuthEvent = {
  userId: string
  type: string
  at: Date
  ip?: string
  device?: string
  detail?: string
  /** Events with the same key for the same user share one row and count up. */
  groupKey?: string
}

/** The auth_events table, seen from the app. */
export class AuthEventRepository {
  readonly #db: Database

  constructor(db: Database) {
    this.#db = db
  }

  /** Inserts an event, or for a grouped event that already has its row, counts it there. */
  async record(event: NewAuthEvent): Promise<void> {
    await this.#db
      .insert(authEvents)
      .values({ ...clip(event), count: 1 })
      .onDuplicateKeyUpdate({ set: { count: sql`${authEvents.count} + 1`, at: event.at } })
  }

  /** The user's most recent events since `since`, newest first. */
  async recent(userId: string, since: Date, limit: number): Promise<AuthEventRow[]> {
    return viaDatabase(
      this.#db
        .select()
        .from(authEvents)
        .where(and(eq(authEvents.userId, userId), gte(authEvents.at, since)))
        .orderBy(desc(authEvents.at), desc(authEvents.id))
        .limit(limit),
    )
  }

  /** Deletes up to `limit` events older than `before`; returns how many went. */
  async prune(before: Date, limit: number): Promise<number> {
    const [result] = await this.#db.delete(authEvents).where(lt(authEvents.at, before)).limit(limit)
    return result.affectedRows
  }
}

/* Device names and details come from request headers: cut to the columns' sizes rather than fail the insert. */
function clip(event: NewAuthEvent): NewAuthEvent {
  return {
    ...event,
    type: event.type.slice(0, 40),
    ip: event.ip?.slice(0, 45),
    device: event.device?.slice(0, 120),
    detail: event.detail?.slice(0, 60),
    groupKey: event.groupKey?.slice(0, 100),
  }
}
