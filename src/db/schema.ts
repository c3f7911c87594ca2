import { mysqlTable, timestamp, varchar } from 'drizzle-orm/mysql-core'

export const users = mysqlTable('users', {
  id: varchar('id', { length: 36 }).primaryKey(),
  /** Stored lower-cased; unique. 254 is the longest address SMTP allows. */
  email: varchar('email', { length: 254 }).notNull().unique(),
  passwordHash: varchar('password_hash', { length: 60 }).notNull(),
  createdAt: timestamp('created_at').notNull().defaultNow(),
  /** When the owner proved the address by following a mailed link; null until then (such an account cannot log in). */
  emailVerifiedAt: timestamp('email_verified_at'),
})

export type User = typeof users.$inferSelect
