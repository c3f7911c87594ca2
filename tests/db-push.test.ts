import { afterAll, describe, expect, test } from 'bun:test'
import mysql from 'mysql2/promise'
import { dropDatabase, isolation, SERVER_URL } from './support/test-app.ts'

const made: string[] = []
afterAll(() => Promise.all(made.map(dropDatabase)))

function freshDatabase(label: string) {
  const { database } = isolation(label)
  made.push(database)
  return { name: database, url: `${SERVER_URL}/${database}` }
}

function push(url: string) {
  const run = Bun.spawnSync(['node_modules/.bin/bun', 'run', 'db:push'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NODE_ENV: 'development', DATABASE_URL: url },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  return { code: run.exitCode, out: run.stdout.toString(), err: run.stderr.toString() }
}

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const connection = await mysql.createConnection({ uri: url })
  try {
    return (await connection.query(sql))[0] as Record<string, unknown>[]
  } finally {
    await connection.end()
  }
}

describe('bun run db:push', () => {
  test('creates a missing database, pushes the schema and seeds; a second and third run are no-ops with exit 0', async () => {
    const { url } = freshDatabase('push')
    const first = push(url)
    expect(first.err).not.toContain('db:push failed')
    expect(first.code).toBe(0)
    expect(first.out).toContain('seeded demo user test@example.com')
    for (const run of [push(url), push(url)]) {
      expect(run.code).toBe(0)
      expect(run.err).not.toContain('db:push failed')
      expect(run.out).toContain('has every table and column of src/db/schema.ts')
      expect(run.out).not.toContain('seeded')
    }
    const columns = await query(url, 'SHOW COLUMNS FROM users')
    expect(columns.map((column) => `${column.Field} ${column.Key}`)).toEqual([
      'id PRI',
      'email UNI',
      'password_hash ',
      'created_at ',
      'email_verified_at MUL',
    ])
    const indexes = await query(url, "SHOW INDEX FROM users WHERE Key_name = 'users_unverified_idx'")
    expect(indexes.map((index) => index.Column_name)).toEqual(['email_verified_at', 'created_at'])
    expect(await query(url, 'SELECT email FROM users')).toEqual([{ email: 'test@example.com' }])
  }, 120_000)

  test('a failure exits 1 with the reason: a server that refuses us, a table the push could not complete', async () => {
    const { url } = freshDatabase('pushfail')
    const refused = new URL(url)
    refused.username = 'taproom_no_such_user'
    const denied = push(refused.toString())
    expect(denied.code).toBe(1)
    expect(denied.err).toContain("db:push failed: Access denied for user 'taproom_no_such_user'")

    expect(push(url).code).toBe(0)
    await query(url, 'ALTER TABLE users DROP COLUMN email_verified_at')
    const incomplete = push(url)
    expect(incomplete.code).toBe(1)
    expect(incomplete.err).toContain('still missing: users.email_verified_at')
  }, 120_000)
})
