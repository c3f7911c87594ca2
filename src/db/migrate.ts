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

/**
 * Applies the committed migrations in drizzle/. Safe to run any number of
 * times, on MySQL 8 and MariaDB alike (where a second `drizzle-kit push` fails).
 */
export async function migrateDatabase(db: Database, migrationsFolder = MIGRATIONS_DIR): Promise<void> {
  await migrate(db, { migrationsFolder })
}
