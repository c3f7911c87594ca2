import { afterAll, describe, expect, test } from 'bun:test'
import mysql from 'mysql2/promise'
import { createDatabase } from '../src/db/client.ts'
import { ensureDatabase, migrateDatabase } from '../src/db/migrate.ts'
import { DEMO_EMAIL, seedDemoUser } from '../src/db/seed.ts'
import { UserRepository } from '../src/db/users.ts'
import { dropDatabase, isolation, SERVER_URL } from './support/test-app.ts'

const made: string[] = []
afterAll(() => Promise.all(made.map(dropDatabase)))

function freshDatabase(label: string) {
  const { database } = isolation(label)
  made.push(database)
  return { name: database, url: `${SERVER_URL}/${database}` }
}

async function describeUsers(url: string) {
  const connection = await mysql.createConnection({ uri: url })
  try {
    const [rows] = await connection.query('SHOW COLUMNS FROM users')
    return (rows as { Field: string; Type: string; Key: string }[]).map(
      ({ Field, Type, Key }) => `${Field} ${Type} ${Key}`,
    )
  } finally {
    await connection.end()
  }
}

describe('schema setup', () => {
  test('startup creates the database, migrates and seeds, and can run any number of times', async () => {
    const { url } = freshDatabase('setup')
    for (let run = 0; run < 3; run++) {
      await ensureDatabase(url)
      const database = createDatabase(url)
      try {
        await migrateDatabase(database.db)
        const users = new UserRepository(database.db)
        expect(await seedDemoUser(users)).toBe(run === 0)
        expect((await users.findByEmail(DEMO_EMAIL))?.passwordHash).toStartWith('$2y$12$')
      } finally {
        await database.pool.end()
      }
    }
    expect(await describeUsers(url)).toEqual([
      'id varchar(36) PRI',
      'email varchar(254) UNI',
      'password_hash varchar(60) ',
      'created_at timestamp ',
      'email_verified_at timestamp MUL',
    ])
  })

  test('instances starting at once on a fresh database migrate it once, all of them succeeding', async () => {
    const { url } = freshDatabase('concurrent')
    await ensureDatabase(url)
    const handles = Array.from({ length: 4 }, () => createDatabase(url))
    try {
      await Promise.all(handles.map((handle) => migrateDatabase(handle.unbounded)))
      expect(await describeUsers(url)).toContain('email_verified_at timestamp MUL')
    } finally {
      await Promise.all(handles.map((handle) => handle.pool.end()))
    }
  })

  test('a user granted only the privileges the README lists, on its own database, can set it up and run', async () => {
    const { name } = freshDatabase('grant')
    const user = `tr_${name.slice(-12)}`
    const admin = await mysql.createConnection({ uri: SERVER_URL })
    try {
      await admin.query(`CREATE DATABASE \`${name}\``)
      await admin.query(`CREATE USER ?@'%' IDENTIFIED BY 'app-password'`, [user])
      await admin.query(
        `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, REFERENCES ON \`${name}\`.* TO ?@'%'`,
        [user],
      )
      const url = new URL(`${SERVER_URL}/${name}`)
      url.username = user
      url.password = 'app-password'
      await ensureDatabase(url.toString())
      const database = createDatabase(url.toString())
      try {
        await migrateDatabase(database.unbounded)
        const users = new UserRepository(database.db)
        expect(await seedDemoUser(users)).toBe(true)
        // Deleting an account (its row and, by cascade, everything keyed to it) needs DELETE.
        const demo = await users.findByEmail('test@example.com')
        expect(await users.delete(demo!.id)).toBe(true)
      } finally {
        await database.pool.end()
      }
      // The same user is refused a database it was not granted, with MySQL's own reason.
      url.pathname = `/${name}_other`
      await expect(ensureDatabase(url.toString())).rejects.toThrow(/denied/i)
    } finally {
      await admin.query(`DROP USER IF EXISTS ?@'%'`, [user])
      await admin.end()
    }
  })

  test('`bun run db:push` creates the table on a fresh database, and startup still works after it', async () => {
    const { url } = freshDatabase('push')
    await ensureDatabase(url)
    const push = Bun.spawnSync(['node_modules/.bin/bun', 'run', 'db:push'], {
      env: { ...process.env, DATABASE_URL: url },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    expect(push.exitCode).toBe(0)
    expect(await describeUsers(url)).toContain('email varchar(254) UNI')
    const database = createDatabase(url)
    try {
      await migrateDatabase(database.db)
      await migrateDatabase(database.db)
    } finally {
      await database.pool.end()
    }
  }, 60_000)

  test('`bun run db:seed` sets up a fresh database and seeds once, needing no SESSION_SECRET', async () => {
    const { url } = freshDatabase('seedcli')
    const { SESSION_SECRET: _unset, ...env } = process.env
    const seed = () => {
      const run = Bun.spawnSync(['node_modules/.bin/bun', 'run', 'db:seed'], {
        env: { ...env, NODE_ENV: 'development', DATABASE_URL: url },
        stdout: 'pipe',
        stderr: 'pipe',
      })
      return { code: run.exitCode, out: run.stdout.toString(), err: run.stderr.toString() }
    }
    const first = seed()
    expect(first.code).toBe(0)
    expect(first.out).toContain('Seeded demo user test@example.com')
    expect(first.err).not.toContain('SESSION_SECRET')
    const second = seed()
    expect(second.code).toBe(0)
    expect(second.out).toContain('already present')
    expect(await describeUsers(url)).toContain('email varchar(254) UNI')
  }, 60_000)

  test('a new account is verified only when its creator says so: the proof of the address is a required argument', async () => {
    const { url } = freshDatabase('verified')
    await ensureDatabase(url)
    const database = createDatabase(url)
    try {
      await migrateDatabase(database.db)
      const users = new UserRepository(database.db)
      const hash = '$2b$04$abcdefghijklmnopqrstuu0123456789012345678901234567890'
      const provenAt = new Date(Date.UTC(2026, 0, 2, 3, 4, 5))
      const proven = await users.create('proven@example.com', hash, { verifiedAt: provenAt })
      const unproven = await users.create('unproven@example.com', hash, { verifiedAt: null })
      expect((await users.findById(proven.id))?.emailVerifiedAt).toEqual(provenAt)
      expect((await users.findById(unproven.id))?.emailVerifiedAt).toBeNull()
      // @ts-expect-error a call that says nothing about the address is refused, not taken for a proven one
      await expect(users.create('unsaid@example.com', hash)).rejects.toThrow(TypeError)
      expect(await users.findByEmail('unsaid@example.com')).toBeUndefined()
    } finally {
      await database.pool.end()
    }
  })

  test('a duplicate email is refused by the unique key', async () => {
    const { url } = freshDatabase('dup')
    await ensureDatabase(url)
    const database = createDatabase(url)
    try {
      await migrateDatabase(database.db)
      const users = new UserRepository(database.db)
      await users.create('Dup@Example.com', '$2b$04$abcdefghijklmnopqrstuu0123456789012345678901234567890', {
        verifiedAt: new Date(),
      })
      await expect(
        users.create('dup@example.com', '$2b$04$abcdefghijklmnopqrstuu0123456789012345678901234567890', {
          verifiedAt: new Date(),
        }),
      ).rejects.toThrow('already registered')
    } finally {
      await database.pool.end()
    }
  })
})
