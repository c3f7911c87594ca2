import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2'
import mysql from 'mysql2/promise'
import * as schema from './schema.ts'

export type Database = MySql2Database<typeof schema>
export type DatabaseHandle = { db: Database; pool: mysql.Pool }

/*
 * Bounded waits: while MySQL is down a login answers "temporarily
 * unavailable" within seconds instead of hanging.
 */
const CONNECT_TIMEOUT_MS = 2000

/** A small connection pool: only logins, sign-ups and account pages use MySQL. */
export function createDatabase(url: string): DatabaseHandle {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: 10,
    connectTimeout: CONNECT_TIMEOUT_MS,
    enableKeepAlive: true,
    waitForConnections: true,
    queueLimit: 100,
  })
  return { db: drizzle(pool, { schema, mode: 'default' }), pool }
}
