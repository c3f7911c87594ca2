import { sql } from 'drizzle-orm'
import { migrate } from 'drizzle-orm/mysql2/migrator'
import mysql from 'mysql2/promise'
import { MIGRATIONS_DIR } from '../paths.ts'
import type { Database } from './client.ts'

/** The database a DATABASE_URL names; throws unless it is a plain name. */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1))
  if (!/^[A-Za-z0-9_$-]{1,64}$/.test(name)) throw new Error(`DATABASE_URL names an invalid database: ${name}`)
  return name
}

/** Creates the database named in the URL when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url)
  const parsed = new URL(url)
  parsed.pathname = '/'
  const connection = await mysql.createConnection({ uri: parsed.toString(), connectTimeout: 2000 })
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
  } finally {
    await connection.end()
  }
}

const MIGRATION_LOCK_SECONDS = 60

/**
 * Applies the committed migrations in drizzle/. Safe to run any number of
 * times, on MySQL 8 and MariaDB alike (where a second `drizzle-kit push` fails),
 * and by several instances starting at once: a named lock per database lets
 * one migrate while the others wait, then find nothing left to do. (Without
 * it, two instances could both see a column missing and both add it.)
 */
export async function migrateDatabase(db: Database, migrationsFolder = MIGRATIONS_DIR): Promise<void> {
  // A transaction pins one connection, which holds the lock while the
  // migrator works on others.
  await db.transaction(async (tx) => {
    const [rows] = (await tx.execute(
      sql`SELECT GET_LOCK(CONCAT('taproom migrations ', DATABASE()), ${MIGRATION_LOCK_SECONDS}) AS locked`,
    )) as unknown as [{ locked: number | null }[]]
    if (rows[0]?.locked !== 1) {
      throw new Error(`another instance held the migration lock for ${MIGRATION_LOCK_SECONDS} s`)
    }
    try {
      await migrate(db, { migrationsFolder })
    } finally {
      await tx.execute(sql`SELECT RELEASE_LOCK(CONCAT('taproom migrations ', DATABASE()))`)
    }
  })
}
