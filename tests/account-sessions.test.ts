import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp
const PASSWORD = 'correct horse battery'
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'

beforeAll(async () => {
  t = await createTestApp('accountsessions')
})
afterAll(() => t.cleanup())

let counter = 0
async function newUser() {
  const email = `member${++counter}@example.com`
  const user = await t.services.users.create(email, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  return user
}

async function signIn(email: string, { userAgent, ip }: { userAgent?: string; ip?: string } = {}) {
  const browser = new TestBrowser(t.app)
  if (userAgent) browser.headers['user-agent'] = userAgent
  await browser.get('/login')
  t.setSocketAddress(ip ?? '127.0.0.1')
  const { response } = await browser.post('/login', { email, password: PASSWORD })
  t.setSocketAddress('127.0.0.1')
  expect(response.status).toBe(303)
  const id = panelOf((await browser.get('/')).html).sessionId!
  return { browser, id }
}

/** The rows of the sessions table: public ID and whether it is marked current. */
function rowsOf(html: string) {
  return [...html.matchAll(/<tr data-session-id="([^"]+)"( data-current="true")?>([\s\S]*?)<\/tr>/g)].map((match) => ({
    id: match[1]!,
    current: match[2] !== undefined,
    html: match[3]!,
  }))
}

const sessionKey = (id: string | undefined) => t.sessionKey(id)
const indexKey = (userId: string) => t.indexKey(userId)

describe('the login guard', () => {
  test('logged out: GET /account/sessions is a 303 to /login, which comes back here afterwards', async () => {
    const browser = new TestBrowser(t.app)
    const { response } = await browser.get('/account/sessions')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/login?next=%2Faccount%2Fsessions')
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  test('logged out htmx request: 401 with HX-Redirect, never a redirect fetch would follow', async () => {
    const browser = new TestBrowser(t.app)
    const response = await browser.request('/account/sessions', { headers: { 'hx-request': 'true' } })
    expect(response.status).toBe(401)
    expect(response.headers.get('hx-redirect')).toBe('/login')
    const fromPage = await browser.request('/account/sessions', {
      headers: { 'hx-request': 'true', 'hx-current-url': 'http://localhost/account/password' },
    })
    expect(fromPage.headers.get('hx-redirect')).toBe('/login?next=%2Faccount%2Fpassword')
    expect(response.headers.get('location')).toBeNull()
  })

  test('logged out POSTs to revoke are sent to /login and end nothing', async () => {
    const user = await newUser()
    const { id } = await signIn(user.email)
    const stranger = new TestBrowser(t.app)
    await stranger.get('/')
    const { response } = await stranger.post(`/account/sessions/${id}/revoke`)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/login')
    const others = await stranger.post('/account/sessions/revoke-others', {}, { htmx: true })
    expect(others.response.status).toBe(401)
    expect(await t.redis.exists(await sessionKey(id))).toBe(1)
  })

  test('the first visit to a guarded page still gets its session cookie with the redirect', async () => {
    const response = await t.app.request('/account/sessions')
    expect(response.status).toBe(303)
    expect(response.headers.getSetCookie().some((line) => line.startsWith('taproom_session='))).toBe(true)
  })
})

describe('GET /account/sessions', () => {
  test('one row per active session with device, IP, created and last-activity times; the viewer marked current', async () => {
    const user = await newUser()
    const firefox = await signIn(user.email, { userAgent: FIREFOX_LINUX, ip: '203.0.113.7' })
    const phone = await signIn(user.email, { userAgent: SAFARI_IPHONE, ip: '2001:db8::42' })
    const bare = await signIn(user.email)
    const anonymous = new TestBrowser(t.app)
    await anonymous.get('/')

    const { response, html } = await firefox.browser.get('/account/sessions')
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('vary')).toContain('HX-Request')
    const rows = rowsOf(html)
    expect(rows.map((row) => row.id).sort()).toEqual([firefox.id, phone.id, bare.id].sort())
    expect(rows.filter((row) => row.current).map((row) => row.id)).toEqual([firefox.id])
    expect(rows[0]!.id).toBe(firefox.id)
    const byId = new Map(rows.map((row) => [row.id, row.html]))
    expect(byId.get(firefox.id)).toContain('Firefox on Linux')
    expect(byId.get(firefox.id)).toContain('203.0.113.7')
    expect(byId.get(phone.id)).toContain('Mobile Safari on iOS')
    expect(byId.get(phone.id)).toContain('2001:db8::42')
    for (const row of rows) expect(row.html.match(/<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z"/g)!.length).toBe(2)
    expect(byId.get(firefox.id)).not.toContain('Revoke')
    expect(byId.get(phone.id)).toContain(`action="/account/sessions/${phone.id}/revoke"`)
  })

  test('another user never sees these sessions', async () => {
    const owner = await newUser()
    const other = await newUser()
    const mine = await signIn(owner.email)
    const theirs = await signIn(other.email)
    const rows = rowsOf((await theirs.browser.get('/account/sessions')).html)
    expect(rows.map((row) => row.id)).toEqual([theirs.id])
    expect(rows.map((row) => row.id)).not.toContain(mine.id)
  })

  test('htmx GET answers the list fragment alone', async () => {
    const user = await newUser()
    const { browser } = await signIn(user.email)
    const { html } = await browser.get('/account/sessions', { 'hx-request': 'true' })
    expect(html.startsWith('<section id="sessions-list"')).toBe(true)
    expect(html).not.toContain('<html')
  })

  test('viewing the list does not extend the other sessions', async () => {
    const user = await newUser()
    const viewer = await signIn(user.email)
    const other = await signIn(user.email)
    await t.redis.pexpire(await sessionKey(other.id), 600_000)
    await viewer.browser.get('/account/sessions')
    expect(await t.redis.pttl(await sessionKey(other.id))).toBeLessThanOrEqual(600_000)
  })
})

describe('POST /account/sessions/:id/revoke', () => {
  test('ends that session: gone from Redis and the index, its browser logged out on its next request', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    const lost = await signIn(user.email)
    const { response } = await me.browser.post(`/account/sessions/${lost.id}/revoke`)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/account/sessions')
    expect(await t.redis.exists(await sessionKey(lost.id))).toBe(0)
    expect(await t.redis.zscore(indexKey(user.id), lost.id)).toBeNull()

    const after = await me.browser.get('/account/sessions')
    expect(rowsOf(after.html).map((row) => row.id)).toEqual([me.id])
    expect(after.html).toContain('Session revoked. That browser is logged out.')

    const next = await lost.browser.get('/')
    expect(panelOf(next.html).email).toBeUndefined()
    expect(panelOf(next.html).sessionId).not.toBe(lost.id)
    expect((await lost.browser.get('/account/sessions')).response.status).toBe(303)
  })

  test('htmx: 200 with the notice out of band; the row is removed in place', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    const lost = await signIn(user.email)
    await me.browser.get('/account/sessions')
    const { response, html } = await me.browser.post(`/account/sessions/${lost.id}/revoke`, {}, { htmx: true })
    expect(response.status).toBe(200)
    // Only the notice region's content is swapped: the live region itself stays, so it is announced.
    expect(html).toMatch(/<div id="flash"[^>]*hx-swap-oob="innerHTML"/)
    expect(html).not.toContain('<html')
    expect(rowsOf((await me.browser.get('/account/sessions')).html).map((row) => row.id)).toEqual([me.id])
  })

  test("another user's session ID is a 404 and that session lives on", async () => {
    const victim = await newUser()
    const attacker = await newUser()
    const target = await signIn(victim.email)
    const evil = await signIn(attacker.email)
    await evil.browser.get('/account/sessions')
    const plain = await evil.browser.post(`/account/sessions/${target.id}/revoke`)
    expect(plain.response.status).toBe(404)
    const htmx = await evil.browser.post(`/account/sessions/${target.id}/revoke`, {}, { htmx: true })
    expect(htmx.response.status).toBe(404)
    expect(await t.redis.exists(await sessionKey(target.id))).toBe(1)
    expect(panelOf((await target.browser.get('/')).html).email).toBe(victim.email)
  })

  test("an unknown, ended or malformed ID is the same 404 as another user's", async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    const ended = await signIn(user.email)
    await ended.browser.post('/logout')
    await me.browser.get('/account/sessions')
    for (const id of [ended.id, 'AAAAAAAAAAAAAAAAAAAAAA', 'not-an-id', '..%2F..%2Fu']) {
      const { response } = await me.browser.post(`/account/sessions/${id}/revoke`)
      expect(response.status).toBe(404)
    }
  })

  test('an anonymous session (no user) cannot be revoked by anyone', async () => {
    const anonymous = new TestBrowser(t.app)
    const anonymousId = panelOf((await anonymous.get('/')).html).sessionId!
    const user = await newUser()
    const me = await signIn(user.email)
    const { response } = await me.browser.post(`/account/sessions/${anonymousId}/revoke`)
    expect(response.status).toBe(404)
    expect(await t.redis.exists(await sessionKey(anonymousId))).toBe(1)
  })

  test("revoking this browser's own session logs it out", async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    await me.browser.get('/account/sessions')
    const { response } = await me.browser.post(`/account/sessions/${me.id}/revoke`)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/')
    expect(response.headers.get('clear-site-data')).toBe('"cache", "storage"')
    expect(await t.redis.exists(await sessionKey(me.id))).toBe(0)
    expect(panelOf((await me.browser.get('/')).html).email).toBeUndefined()
  })

  test('needs the CSRF token', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    const other = await signIn(user.email)
    const { response } = await me.browser.post(`/account/sessions/${other.id}/revoke`, { _csrf: 'forged' })
    expect(response.status).toBe(403)
    expect(await t.redis.exists(await sessionKey(other.id))).toBe(1)
  })

  test('writes a session_revoked audit line naming the ended session', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    const lost = await signIn(user.email)
    const start = t.audit.length
    await me.browser.post(`/account/sessions/${lost.id}/revoke`)
    const events = t.audit.slice(start)
    expect(events.map((event) => event.event)).toEqual(['session_revoked'])
    expect(events[0]!.sessionId).toBe(lost.id)
    expect(events[0]!.userId).toBe(user.id)
  })
})

describe('POST /account/sessions/revoke-others', () => {
  test('ends every other session of this user and keeps this one', async () => {
    const user = await newUser()
    const bystander = await newUser()
    const me = await signIn(user.email)
    const others = [await signIn(user.email), await signIn(user.email)]
    const unrelated = await signIn(bystander.email)
    const { response } = await me.browser.post('/account/sessions/revoke-others')
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/account/sessions')
    for (const other of others) {
      expect(await t.redis.exists(await sessionKey(other.id))).toBe(0)
      expect(panelOf((await other.browser.get('/')).html).email).toBeUndefined()
    }
    const { html } = await me.browser.get('/account/sessions')
    expect(html).toContain('Logged out of 2 other sessions.')
    expect(rowsOf(html).map((row) => row.id)).toEqual([me.id])
    expect(await t.redis.zrange(indexKey(user.id), '0', '-1')).toEqual([me.id])
    expect(panelOf((await unrelated.browser.get('/')).html).email).toBe(bystander.email)
  })

  test('htmx: the refreshed list with only this session, and the notice out of band', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    await signIn(user.email)
    await me.browser.get('/account/sessions')
    const { response, html } = await me.browser.post('/account/sessions/revoke-others', {}, { htmx: true })
    expect(response.status).toBe(200)
    expect(html.startsWith('<section id="sessions-list"')).toBe(true)
    expect(rowsOf(html).map((row) => [row.id, row.current])).toEqual([[me.id, true]])
    expect(html).toContain('Logged out of 1 other session.')
  })
})

describe('the per-user index', () => {
  test('a session that expires drops off the list and out of the index without any cleanup job', async () => {
    const user = await newUser()
    const me = await signIn(user.email)
    const fading = await signIn(user.email)
    await t.redis.pexpire(await sessionKey(fading.id), 1)
    for (let i = 0; i < 100 && (await t.redis.exists(await sessionKey(fading.id))) === 1; i++) await Bun.sleep(5)
    expect(await t.redis.zscore(indexKey(user.id), fading.id)).not.toBeNull()
    const rows = rowsOf((await me.browser.get('/account/sessions')).html)
    expect(rows.map((row) => row.id)).toEqual([me.id])
    expect(await t.redis.zscore(indexKey(user.id), fading.id)).toBeNull()
  })

  test('the index key itself expires with the last session it lists', async () => {
    const user = await newUser()
    await signIn(user.email)
    // The deadline of a session signed in just now: absolute timeout from now.
    const ttl = await t.redis.pttl(indexKey(user.id))
    expect(ttl).toBeGreaterThan(t.config.session.absoluteSeconds * 1000 - 10_000)
    expect(ttl).toBeLessThanOrEqual(t.config.session.absoluteSeconds * 1000)
  })
})

describe('the per-user index with a small cap', () => {
  let capped: TestApp

  beforeAll(async () => {
    capped = await createTestApp('sessioncap', { MAX_SESSIONS_PER_USER: '3' })
  })
  afterAll(() => capped.cleanup())

  async function cappedSignIn(email: string) {
    const browser = new TestBrowser(capped.app)
    await browser.get('/login')
    const { response } = await browser.post('/login', { email, password: PASSWORD })
    expect(response.status).toBe(303)
    return { browser, id: panelOf((await browser.get('/')).html).sessionId! }
  }

  test('many logins never grow it past the cap: the oldest sessions are ended, not just forgotten', async () => {
    const user = await capped.services.users.create(
      'frequent@example.com',
      await capped.services.hasher.hash(PASSWORD),
      { verifiedAt: new Date() },
    )
    const logins = []
    for (let i = 0; i < 12; i++) {
      for (const login of logins) await capped.age(login.id, 1000)
      logins.push(await cappedSignIn(user.email))
      expect(await capped.redis.zcard(capped.indexKey(user.id))).toBeLessThanOrEqual(3)
    }
    const newest = logins.slice(-3)
    expect((await capped.redis.zrange(capped.indexKey(user.id), '0', '-1')).sort()).toEqual(
      newest.map((login) => login.id).sort(),
    )
    for (const old of logins.slice(0, -3)) {
      expect(await capped.redis.exists(await capped.sessionKey(old.id))).toBe(0)
    }
    // Each ended session is in the audit log, with why.
    const capRevocations = capped.audit.filter(
      (event) => event.event === 'session_revoked' && event.reason === 'session_cap' && event.userId === user.id,
    )
    expect(capRevocations.map((event) => event.sessionId).sort()).toEqual(
      logins
        .slice(0, -3)
        .map((login) => login.id)
        .sort(),
    )
    const rows = rowsOf((await newest[2]!.browser.get('/account/sessions')).html)
    expect(rows.map((row) => row.id).sort()).toEqual(newest.map((login) => login.id).sort())
  })

  test('entries past their absolute deadline are dropped by the next read', async () => {
    const user = await capped.services.users.create('ageing@example.com', await capped.services.hasher.hash(PASSWORD), {
      verifiedAt: new Date(),
    })
    const old = [await cappedSignIn(user.email), await cappedSignIn(user.email)]
    const key = capped.indexKey(user.id)
    expect(await capped.redis.zcard(key)).toBe(2)
    for (const login of old) await capped.age(login.id, capped.config.session.absoluteSeconds * 1000 + 1000)
    const fresh = await cappedSignIn(user.email)
    expect(await capped.redis.zrange(key, '0', '-1')).toEqual([fresh.id])
    expect(rowsOf((await fresh.browser.get('/account/sessions')).html).map((row) => row.id)).toEqual([fresh.id])
  })
})
