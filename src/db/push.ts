import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { generateMySQLDrizzleJson } from 'drizzle-kit/api'
import mysql from 'mysql2/promise'
import { loadConfig } from '../env.ts'
import { createDatabase } from './client.ts'
import { databaseName, ensureDatabase } from './migrate.ts'
import * as schema from './schema.ts'
import { seedDemoUser } from './seed.ts'
import { UserRepository } from './users.ts'

/*
 * `bun run db:push`: the database created if missing, its tables pushed from
 * src/db/schema.ts by drizzle-kit, the demo user seeded. drizzle-kit 0.31 exits
 * 0 even when a push fails, and on MariaDB every push after the first fails
 * re-adding a primary key it misread from the live table. So its output is
 * read, not its exit code, and afterwards the live tables are compared with
 * the schema: the push succeeded when every table and column is there; the one
 * failure known to be spurious (a primary key that already exists) is then
 * ignored, any other exits 1 with the reason.
 */

// The package exports only its API; its CLI sits beside the main entry.
const DRIZZLE_KIT = join(dirname(createRequire(import.meta.url).resolve('drizzle-kit')), 'bin.cjs')
// Node prints "Error: …" and code: '…', Bun "error: …" and code: "…".
const FAILED = /^\s*error: *(.+)$/im
const CODE = /\bcode: ['"]([A-Z_]+)['"]/
const SPURIOUS = 'ER_MULTIPLE_PRI_KEY'

/** Every table and column of the schema that the live database lacks. */
async function missingFromDatabase(url: string, name: string): Promise<string[]> {
  const wanted = (await generateMySQLDrizzleJson(schema)).tables
  const connection = await mysql.createConnection({ uri: url })
  try {
    const [rows] = await connection.query(
      'SELECT TABLE_NAME AS tableName, COLUMN_NAME AS columnName FROM information_schema.columns WHERE TABLE_SCHEMA = ?',
      [name],
    )
    const live = new Set(
      (rows as { tableName: string; columnName: string }[]).map((row) => `${row.tableName}.${row.columnName}`),
    )
    return Object.values(wanted as Record<string, { name: string; columns: Record<string, unknown> }>).flatMap(
      (table) =>
        Object.keys(table.columns)
          .map((column) => `${table.name}.${column}`)
          .filter((column) => !live.has(column)),
    )
  } finally {
    await connection.end()
  }
}

function pushWithDrizzleKit(): { output: string; failure?: string; spurious?: boolean } {
  const run = spawnSync(process.execPath, [DRIZZLE_KIT, 'push', '--force'], { encoding: 'utf8' })
  const output = `${run.stdout ?? ''}${run.stderr ?? ''}`
  if (run.error) return { output, failure: run.error.message }
  if (run.status !== 0) return { output, failure: `drizzle-kit exited with ${run.status}` }
  const failed = FAILED.exec(output)
  const code = CODE.exec(output)?.[1]
  if (!failed && !code) return { output }
  const message = [failed?.[1], code].filter(Boolean).join(' ')
  return { output, failure: message, spurious: code === SPURIOUS }
}

const config = loadConfig()
const name = databaseName(config.databaseUrl)
try {
  await ensureDatabase(config.databaseUrl)
  const push = pushWithDrizzleKit()
  const missing = await missingFromDatabase(config.databaseUrl, name)
  if (missing.length > 0 || (push.failure && !push.spurious)) {
    const reasons = [
      push.failure && `drizzle-kit: ${push.failure}`,
      missing.length > 0 &&
        `still missing: ${missing.join(', ')} (\`npm start\` or \`bun run db:seed\` apply the committed migrations instead)`,
    ]
    throw new Error(reasons.filter(Boolean).join('; '))
  }
  console.log(`db:push: ${name} has every table and column of src/db/schema.ts`)
  const database = createDatabase(config.databaseUrl)
  try {
    if (config.seedDemoUser && (await seedDemoUser(new UserRepository(database.db)))) {
      console.log('db:push: seeded demo user test@example.com / password')
    }
  } finally {
    await database.pool.end()
  }
} catch (error) {
  console.error(`db:push failed: ${(error as Error).message}`)
  process.exitCode = 1
}
