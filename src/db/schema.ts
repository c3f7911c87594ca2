import { bigint, index, int, mysqlTable, timestamp, uniqueIndex, varchar } from 'drizzle-orm/mysql-core'

export const users = mysqlTable('users', {
  id: varchar('id', { length: 36 }).primaryKey(),
  /** Stored lower-cased; unique. 254 is the longest address SMTP allows. */
  email: varchar('email', { length: 254 }).notNull().unique(),
  passwordHash: varchar('password_hash', { length: 60 }).notNull(),
  createdAt: timestamp('created_at').notNull().defaultNow(),
})

export type User = typeof users.$inferSelect

/**
 * A user's security events, for the activity page. Rows die with their user
 * (ON DELETE CASCADE), so deleting an account leaves nothing behind here and an
 * event written a moment after the delete fails instead of orphaning a row.
 */
export const authEvents = mysqlTable(
  'auth_events',
  {
    id: bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey(),
    userId: varchar('user_id', { length: 36 })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: varchar('type', { length: 40 }).notNull(),
    /** When it last happened: a grouped row moves forward with each repeat. */
    at: timestamp('at', { fsp: 3 }).notNull(),
    ip: varchar('ip', { length: 45 }),
    device: varchar('device', { length: 120 }),
    detail: varchar('detail', { length: 60 }),
    /** Repeats with the same key add to `count` instead of adding rows (failed sign-ins per day and IP). */
    groupKey: varchar('group_key', { length: 100 }),
    count: int('count', { unsigned: true }).notNull().default(1),
  },
  (table) => [
    index('auth_events_user_at').on(table.userId, table.at),
    index('auth_events_at').on(table.at),
    uniqueIndex('auth_events_user_group').on(table.userId, table.groupKey),
  ],
)

export type AuthEventRow = typeof authEvents.$inferSelect
