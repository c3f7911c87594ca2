import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import mysql from 'mysql2/promise'
import { databaseUrlVia, mysqlAddress } from './reliability/support/services.ts'
import { TestBrowser } from './support/browser.ts'
import { type RedisServer, startRedisServer, waitFor } from './support/redis-server.ts'
import { type SmtpTestServer, startSmtpServer } from './support/smtp-server.ts'
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts'
import { createTestApp, dropDatabase, SERVER_URL, type TestApp } from './support/test-app.ts'

// Real servers stop and start in here.
setDefaultTimeout(30_000)

/*
 * Every failure path is walked with known personal data — emails, passwords,
 * password hashes, cookies, CSRF tokens — and then no captured log line may
 * hold any of it. The app reaches MySQL through a proxy this file switches off,
 * and its own redis-server, which this file stops.
 */
let t: TestApp
let redis: RedisServer
let proxy: TcpProxy
let database: string
let smtp: SmtpTestServer
const secrets = new Set<string>()

const EMAIL = 'Ada.Lovelace+logs@example.com'
const PASSWORD = 'analytical engine 1843'
const NEW_PASSWORD = 'difference engine 1822'
const SIGNUP_EMAIL = 'charles.babbage@example.org'
const SIGNUP_PASSWORD = 'a calculating machine'

function remember(...values: (string | undefined)[]) {
  for (const value of values) {
    if (!value || value.length < 8) continue
    secrets.add(value)
    secrets.add(value.toLowerCase())
    secrets.add(encodeURIComponent(value))
  }
}

/** The cookie values and CSRF token a browser holds, and each secret part of a cookie (token, signature; not the user id). */
function rememberBrowser(browser: TestBrowser) {
  remember(browser.csrfToken)
  for (const value of browser.cookies.values()) {
    const parts = value.split('.')
    remember(value, parts[0], parts.at(-1))
  }
}

async function sql(statement: string) {
  const connection = await mysql.createConnection({ uri: `${SERVER_URL}/${database}` })
  try {
    await connection.query(statement)
  } finally {
    await connection.end()
  }
}

async function loggedIn(): Promise<TestBrowser> {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  const { response } = await browser.post('/login', { email: EMAIL, password: PASSWORD })
  expect(response.status).toBe(303)
  await browser.get('/account/password')
  rememberBrowser(browser)
  return browser
}

function warnings(from: number): string[] {
  return t.logs.slice(from).filter((line) => /"level":"(warn|error|fatal)"/.test(line))
}

beforeAll(async () => {
  redis = await startRedisServer()
  proxy = await startTcpProxy(mysqlAddress())
  database = `taproom_test_logs_${Date.now().toString(36)}`
  // Real SMTP, as in production: mail leaves over the network, not into the dev outbox.
  smtp = await startSmtpServer()
  t = await createTestApp('logs', {
    SMTP_URL: smtp.url,
    REDIS_URL: redis.url,
    DATABASE_URL: databaseUrlVia(proxy, database),
    LOGIN_MAX_FAILURES_PER_EMAIL_IP: '1000',
    LOGIN_MAX_FAILURES_PER_IP: '1000',
  })
  const user = await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  remember(EMAIL, PASSWORD, NEW_PASSWORD, SIGNUP_EMAIL, SIGNUP_PASSWORD, user.passwordHash)
})

afterAll(async () => {
  await proxy.start()
  if (!redis.running) await redis.start()
  await waitFor('the app to reconnect to Redis', () =>
    t.redis.ping().then(
      () => true,
      () => false,
    ),
  )
  await t.cleanup()
  await proxy.stop()
  await redis.stop()
  await smtp.close()
  await dropDatabase(database)
})

/** Waits for the mail queue to log that a sign-up's queued work failed (and will be retried or given up). */
async function signupWorkFailed(from: number) {
  await waitFor('the queued sign-up to fail', async () =>
    t.logs.slice(from).some((line) => line.includes('signup_request') && /mail_(retry|failed)/.test(line)),
  )
}

describe('no personal data in the logs', () => {
  test('bad input: wrong passwords, malformed forms, hostile bodies, a forged cookie', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    rememberBrowser(browser)
    await browser.post('/login', { email: EMAIL, password: 'not the password at all' })
    await browser.post('/login', { email: `${EMAIL}@@`, password: PASSWORD })
    await browser.post('/signup', { email: SIGNUP_EMAIL, password: 'password', password_confirm: 'password' })
    await browser.post('/login', { email: EMAIL, password: PASSWORD, _csrf: 'forged-token-value-0123456789' })
    await browser.request('/login', {
      method: 'POST',
      body: `email=${encodeURIComponent(EMAIL)}&password=${'x'.repeat(20_000)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': browser.csrfToken },
    })
    await t.app.request('/', { headers: { cookie: `taproom_session=${'A'.repeat(22)}.forgedsignature0123` } })
    expect(t.logs.length).toBeGreaterThan(0)
  })

  test('MySQL refusing writes: a password change and a sign-up fail on the query that holds the new hash', async () => {
    const browser = await loggedIn()
    const from = t.logs.length
    await sql(
      "CREATE TRIGGER refuse_update BEFORE UPDATE ON users FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no writes'",
    )
    await sql(
      "CREATE TRIGGER refuse_insert BEFORE INSERT ON users FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no writes'",
    )
    try {
      const change = await browser.post('/account/password', {
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
        new_password_confirm: NEW_PASSWORD,
      })
      expect(change.response.status).toBeGreaterThanOrEqual(500)
      const visitor = new TestBrowser(t.app)
      await visitor.get('/signup')
      rememberBrowser(visitor)
      const signup = await visitor.post('/signup', {
        email: SIGNUP_EMAIL,
        password: SIGNUP_PASSWORD,
        password_confirm: SIGNUP_PASSWORD,
      })
      // Sign-up answers before the account is written (the same answer for any
      // address); the refused INSERT happens in the queue's worker.
      expect(signup.response.status).toBe(200)
      await signupWorkFailed(from)
    } finally {
      await sql('DROP TRIGGER refuse_update')
      await sql('DROP TRIGGER refuse_insert')
    }
    expect(warnings(from).length).toBeGreaterThan(0)
  })

  test('MySQL down: login and a password change answer 503; the queued sign-up fails and is retried', async () => {
    const browser = await loggedIn()
    const visitor = new TestBrowser(t.app)
    await visitor.get('/login')
    rememberBrowser(visitor)
    const from = t.logs.length
    await proxy.stop()
    try {
      const login = await visitor.post('/login', { email: EMAIL, password: PASSWORD })
      expect(login.response.status).toBe(503)
      await visitor.get('/signup')
      const signup = await visitor.post('/signup', {
        email: SIGNUP_EMAIL,
        password: SIGNUP_PASSWORD,
        password_confirm: SIGNUP_PASSWORD,
      })
      expect(signup.response.status).toBe(200)
      await signupWorkFailed(from)
      const change = await browser.post('/account/password', {
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
        new_password_confirm: NEW_PASSWORD,
      })
      expect(change.response.status).toBe(503)
    } finally {
      await proxy.start()
    }
    expect(t.logs.slice(from).some((line) => line.includes('unavailable'))).toBe(true)
  })

  test('Redis down: pages, pours and a login answer 503', async () => {
    const browser = await loggedIn()
    const from = t.logs.length
    await redis.stop()
    try {
      expect((await browser.get('/')).response.status).toBe(503)
      expect((await browser.post('/beer', {}, { htmx: true })).response.status).toBe(503)
      expect((await browser.post('/login', { email: EMAIL, password: PASSWORD })).response.status).toBe(503)
    } finally {
      await redis.start()
    }
    expect(warnings(from).length).toBeGreaterThan(0)
  })

  test('no line written in any of the paths above holds an email, password, hash, cookie or token', () => {
    expect(secrets.size).toBeGreaterThan(10)
    // The hash a failed password change computed is known to no one but the query that carried it.
    expect(t.logs.filter((line) => /\$2[abxy]?\$\d\d\$/.test(line))).toEqual([])
    const leaks = t.logs.flatMap((line) =>
      [...secrets].filter((secret) => line.includes(secret)).map((s) => `${s} in ${line}`),
    )
    expect(leaks).toEqual([])
  })
})
