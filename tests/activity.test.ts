import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { ActivityLog } from '../src/activity/activity-log.ts'
import { AuthEventRepository } from '../src/db/auth-events.ts'
import { authEvents } from '../src/db/schema.ts'
import { createLogger } from '../src/log.ts'
import { databaseUrlVia, mysqlAddress } from './reliability/support/services.ts'
import { TestBrowser } from './support/browser.ts'
import { startTcpProxy } from './support/tcp-proxy.ts'
import { createTestApp, dropDatabase, isolation, type TestApp } from './support/test-app.ts'

let t: TestApp
const PASSWORD = 'correct horse battery'
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
const DAY = 86_400_000

beforeAll(async () => {
  t = await createTestApp('activity')
})
afterAll(() => t.cleanup())

let counter = 0
async function newUser() {
  const email = `active${++counter}@example.com`
  return t.services.users.create(email, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
}

async function attempt(email: string, password: string, { ip = '127.0.0.1', userAgent = FIREFOX_LINUX } = {}) {
  const browser = new TestBrowser(t.app)
  browser.headers['user-agent'] = userAgent
  await browser.get('/login')
  t.setSocketAddress(ip)
  const { response } = await browser.post('/login', { email, password })
  t.setSocketAddress('127.0.0.1')
  return { browser, status: response.status }
}

async function signIn(email: string, options?: { ip?: string; userAgent?: string }) {
  const { browser, status } = await attempt(email, PASSWORD, options)
  expect(status).toBe(303)
  return browser
}

/** The activity table's rows: event type, count and the cells' text. */
async function activityOf(browser: TestBrowser) {
  const { response, html } = await browser.get('/account/activity')
  expect(response.status).toBe(200)
  return [...html.matchAll(/<tr data-event="([^"]+)" data-count="(\d+)">([\s\S]*?)<\/tr>/g)].map((match) => ({
    type: match[1]!,
    count: Number(match[2]),
    text: match[3]!
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  }))
}

describe('the activity page', () => {
  test('logged out: GET /account/activity sends the browser to /login', async () => {
    const { response } = await new TestBrowser(t.app).get('/account/activity')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/login?next=%2Faccount%2Factivity')
  })

  test('shows a sign-in with its device and IP, and the page is never cached', async () => {
    const user = await newUser()
    const browser = await signIn(user.email, { ip: '203.0.113.7' })
    const { response } = await browser.get('/account/activity')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const rows = await activityOf(browser)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ type: 'login_success', count: 1 })
    expect(rows[0]!.text).toContain('Signed in')
    expect(rows[0]!.text).toContain('Firefox on Linux')
    expect(rows[0]!.text).toContain('203.0.113.7')
  })

  test('failed sign-ins are grouped per day and IP, with counts; an unknown email records nothing', async () => {
    const user = await newUser()
    for (let i = 0; i < 3; i++)
      expect((await attempt(user.email, 'wrong guess', { ip: '198.51.100.1' })).status).toBe(401)
    expect((await attempt(user.email, 'wrong guess', { ip: '198.51.100.2' })).status).toBe(401)
    expect((await attempt('nobody@example.com', 'wrong guess')).status).toBe(401)
    const browser = await signIn(user.email)
    const failures = (await activityOf(browser)).filter((row) => row.type === 'login_failure')
    expect(failures.map(({ count, text }) => ({ count, ip: text.match(/198\.51\.100\.\d/)?.[0] }))).toEqual([
      { count: 1, ip: '198.51.100.2' },
      { count: 3, ip: '198.51.100.1' },
    ])
    expect(failures[1]!.text).toContain('3 failed sign-in attempts')
  })

  test('a password change and "log out everywhere else" are listed; the sessions one request ends share a row', async () => {
    const user = await newUser()
    await signIn(user.email)
    await signIn(user.email)
    const browser = await signIn(user.email)
    await browser.get('/account/sessions')
    expect((await browser.post('/account/sessions/revoke-others')).response.status).toBe(303)
    await browser.get('/account/password')
    const change = await browser.post('/account/password', {
      current_password: PASSWORD,
      new_password: 'a brand new passphrase',
      new_password_confirm: 'a brand new passphrase',
    })
    expect(change.response.status).toBe(303)
    const rows = await activityOf(browser)
    expect(rows.map(({ type, count }) => `${type}×${count}`)).toEqual([
      'password_changed×1',
      'session_revoked×2',
      'login_success×1',
      'login_success×1',
      'login_success×1',
    ])
    expect(rows[1]!.text).toContain('2 sessions ended')
    expect(rows[1]!.text).toContain('log out everywhere else')
  })

  test("shows only this user's events, at most the last 50", async () => {
    const user = await newUser()
    const other = await newUser()
    await signIn(other.email)
    const base = Date.now() - 60_000
    await t.services.database.db.insert(authEvents).values(
      Array.from({ length: 60 }, (_, i) => ({
        userId: user.id,
        type: 'login_success',
        at: new Date(base + i * 100),
        detail: `n${i}`,
      })),
    )
    const browser = await signIn(user.email)
    const rows = await activityOf(browser)
    expect(rows).toHaveLength(50)
    expect(rows.every((row) => row.type === 'login_success')).toBe(true)
    const { html } = await browser.get('/account/activity')
    expect(html).not.toContain(other.email)
  })
})

describe('recording events', () => {
  test('events older than AUTH_EVENTS_DAYS are not shown and are pruned by the next write, without a cron job', async () => {
    const user = await newUser()
    let clock = Date.now()
    const events = new AuthEventRepository(t.services.database.db)
    const activity = new ActivityLog({
      events,
      retentionDays: 90,
      logger: createLogger({ level: 'silent' }),
      now: () => clock,
    })
    await events.record({ userId: user.id, type: 'login_success', at: new Date(clock - 91 * DAY) })
    await events.record({ userId: user.id, type: 'password_changed', at: new Date(clock - 89 * DAY) })
    expect((await activity.recent(user.id)).map((entry) => entry.type)).toEqual(['password_changed'])

    activity.record('login_success', { userId: user.id, ip: '127.0.0.1' })
    await activity.settled()
    const stored = await t.services.database.db.select().from(authEvents)
    const mine = stored.filter((row) => row.userId === user.id).map((row) => row.type)
    expect(mine.sort()).toEqual(['login_success', 'password_changed'])

    // Pruning runs at most hourly per instance: a write two days later prunes what has aged out since.
    clock += 2 * DAY
    activity.record('reauthenticated', { userId: user.id })
    await activity.settled()
    expect((await activity.recent(user.id)).map((entry) => entry.type)).toEqual(['reauthenticated', 'login_success'])
  })

  test('second-factor and recovery events are listed by name; mails sent and logouts are not', async () => {
    const user = await newUser()
    const browser = await signIn(user.email)
    for (const event of ['totp_enabled', 'passkey_added', 'security_notice', 'verification_sent', 'logout'] as const) {
      t.services.deps.audit(event, { userId: user.id, ip: '127.0.0.1' })
    }
    const rows = await activityOf(browser)
    // Written in the same millisecond and in parallel: their order between themselves is not defined.
    expect(rows.map((row) => row.type).sort()).toEqual(['login_success', 'passkey_added', 'totp_enabled'])
    expect(rows.find((row) => row.type === 'totp_enabled')!.text).toContain('Authenticator app turned on')
  })

  test('a hostile User-Agent and IP are cut to size, not an error', async () => {
    const user = await newUser()
    const lines: string[] = []
    const activity = new ActivityLog({
      events: new AuthEventRepository(t.services.database.db),
      retentionDays: 90,
      logger: createLogger({ write: (line) => lines.push(line) }),
      now: Date.now,
    })
    activity.record('login_success', { userId: user.id, ip: 'x'.repeat(500), device: 'é'.repeat(500) })
    await activity.settled()
    expect(lines).toEqual([])
    const [entry] = await activity.recent(user.id)
    expect(entry?.device).toHaveLength(120)
  })

  test('with MySQL down the request still succeeds and the event goes to the log', async () => {
    const { database } = isolation('activitydown')
    const proxy = await startTcpProxy(mysqlAddress())
    const down = await createTestApp('activitydown', { DATABASE_URL: databaseUrlVia(proxy, database) })
    try {
      const user = await down.services.users.create('outage@example.com', await down.services.hasher.hash(PASSWORD), {
        verifiedAt: new Date(),
      })
      const browser = new TestBrowser(down.app)
      await browser.get('/login')
      expect((await browser.post('/login', { email: user.email, password: PASSWORD })).response.status).toBe(303)
      const other = new TestBrowser(down.app)
      await other.get('/login')
      await other.post('/login', { email: user.email, password: PASSWORD })
      await down.services.activity.settled()

      await proxy.stop()
      await browser.get('/account/sessions')
      const revoke = await browser.post('/account/sessions/revoke-others')
      expect(revoke.response.status).toBe(303)
      await down.services.activity.settled()
      const unsaved = down.warnings.map((line) => JSON.parse(line)).find((line) => line.type === 'activity_unsaved')
      expect(unsaved).toMatchObject({ event: 'session_revoked', userId: user.id })
      expect(JSON.stringify(unsaved)).not.toContain(user.email)
      expect((await browser.get('/account/activity')).response.status).toBe(503)
    } finally {
      await proxy.start()
      await down.cleanup()
      await proxy.stop()
      await dropDatabase(database)
    }
  })
})
