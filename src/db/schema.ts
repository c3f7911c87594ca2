import {
  bigint,
  boolean,
  index,
  int,
  mysqlTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core'

export const users = mysqlTable(
  'users',
  {
    id: varchar('id', { length: 36 }).primaryKey(),
    /** Stored lower-cased; unique. 254 is the longest address SMTP allows. */
    email: varchar('email', { length: 254 }).notNull().unique(),
    passwordHash: varchar('password_hash', { length: 60 }).notNull(),
    createdAt: timestamp('created_at').notNull().defaultNow(),
    /** When the owner proved the address by following a mailed link; null until then (such an account cannot log in). */
    emailVerifiedAt: timestamp('email_verified_at'),
  },
  // Finds sign-ups never verified, oldest first, without reading the whole table.
  (table) => [index('users_unverified_idx').on(table.emailVerifiedAt, table.createdAt)],
)

export type User = typeof users.$inferSelect

/** A user's authenticator app: one per user; `confirmedAt` stays null until a first code proves the enrolment. */
export const totpCredentials = mysqlTable('totp_credentials', {
  userId: varchar('user_id', { length: 36 })
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** The base32 secret sealed with AES-256-GCM under DATA_ENCRYPTION_KEY (src/auth/secret-box.ts). */
  secretSealed: varchar('secret_sealed', { length: 255 }).notNull(),
  confirmedAt: timestamp('confirmed_at'),
  createdAt: timestamp('created_at').notNull().defaultNow(),
})

export type TotpCredential = typeof totpCredentials.$inferSelect

/** Single-use recovery codes, stored as keyed hashes only; `usedAt` is set once, atomically. */
export const recoveryCodes = mysqlTable(
  'recovery_codes',
  {
    userId: varchar('user_id', { length: 36 })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: varchar('code_hash', { length: 64 }).notNull(),
    usedAt: timestamp('used_at'),
    createdAt: timestamp('created_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.codeHash] })],
)

/** WebAuthn credentials (passkeys). `counter` only ever grows; a lower one is a cloned authenticator. */
export const passkeys = mysqlTable(
  'passkeys',
  {
    id: varchar('id', { length: 36 }).primaryKey(),
    userId: varchar('user_id', { length: 36 })
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** base64url; WebAuthn allows up to 1023 bytes, we accept up to 384 (512 characters). */
    credentialId: varchar('credential_id', { length: 512 }).notNull(),
    /** The COSE public key, base64url. */
    publicKey: text('public_key').notNull(),
    counter: bigint('counter', { mode: 'number', unsigned: true }).notNull().default(0),
    /** Comma-separated AuthenticatorTransport values, handed back to the browser on sign-in. */
    transports: varchar('transports', { length: 255 }).notNull().default(''),
    name: varchar('name', { length: 64 }).notNull(),
    backedUp: boolean('backed_up').notNull().default(false),
    createdAt: timestamp('created_at').notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at'),
  },
  (table) => [
    uniqueIndex('passkeys_credential_id_unique').on(table.credentialId),
    index('passkeys_user_id_idx').on(table.userId),
  ],
)

export type Passkey = typeof passkeys.$inferSelect
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
