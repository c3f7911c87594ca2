import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { Cluster } from 'ioredis'
import * as scripts from '../../src/session/scripts.ts'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { type RedisCluster, startRedisCluster, waitFor } from '../support/redis-server.ts'
import { createTestApp, isMailQueueBookkeeping, scanKeys, type TestApp } from '../support/test-app.ts'

// Real servers start, stop and hang in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(30_000)

// The app on a local three-master Redis Cluster, through REDIS_CLUSTER_NODES.
let cluster: RedisCluster
let t: TestApp
const EMAIL = 'cluster@example.com'
const PASSWORD = 'sixteen thousand slots'
let userId = ''

beforeAll(async () => {
  cluster = await startRedisCluster()
  t = await createTestApp('cluster', { REDIS_CLUSTER_NODES: cluster.nodes, MAX_SESSIONS_PER_USER: '3' })
  userId = (await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })).id
})

afterAll(async () => {
  // The cluster is this file's own, so its keys go with it; a cleanup slowed
  // by a busy machine (a master was restarted above) must not fail the file.
  await Promise.race([t?.cleanup(), Bun.sleep(15_000)])
  await cluster?.stop()
})

const sessionKey = (id: string | undefined) => t.sessionKey(id)

function masters() {
  if (!(t.redis instanceof Cluster)) throw new Error('expected a Cluster client')
  return t.redis.nodes('master')
}

async function loggedIn() {
  const browser = new TestBrowser(t.app)
  await browser.get('/login')
  const { response } = await browser.post('/login', { email: EMAIL, password: PASSWORD })
  expect(response.status).toBe(303)
  const { html } = await browser.get('/')
  return { browser, sessionId: panelOf(html).sessionId! }
}

describe('Redis Cluster', () => {
  test('REDIS_CLUSTER_NODES gives a Cluster client over three masters, and /readyz is ready', async () => {
    expect(t.redis).toBeInstanceOf(Cluster)
    expect(masters()).toHaveLength(3)
    expect((await t.app.request('/readyz')).status).toBe(200)
  })

  test('sessions spread over every master; 50 concurrent pours on one count exactly 50', async () => {
    const visitors = Array.from({ length: 30 }, () => new TestBrowser(t.app))
    const ids = await Promise.all(visitors.map(async (visitor) => panelOf((await visitor.get('/')).html).sessionId!))
    const first = await Promise.all(visitors.map((visitor) => visitor.post('/beer', {}, { htmx: true })))
    expect(first.map(({ html }) => panelOf(html).beers)).toEqual(ids.map(() => 1))
    const perMaster = await Promise.all(
      masters().map(async (node) => {
        const held = new Set(await scanKeys(node, `${t.config.redis.prefix}s:*`))
        return ids.filter((id) => held.has(`${t.config.redis.prefix}s:${id}`)).length
      }),
    )
    expect(perMaster.every((count) => count > 0)).toBe(true)
    expect(perMaster.reduce((sum, count) => sum + count, 0)).toBe(30)

    const browser = new TestBrowser(t.app)
    await browser.get('/')
    const pours = await Promise.all(Array.from({ length: 50 }, () => browser.post('/beer', {}, { htmx: true })))
    expect(pours.every(({ response }) => response.status === 200)).toBe(true)
    expect(pours.map(({ html }) => panelOf(html).beers).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    )

    // ioredis loads each script on a master the first time it runs there (EVALSHA, then EVAL on NOSCRIPT).
    const shas = [scripts.createSession, scripts.touchSession].map((lua) =>
      createHash('sha1').update(lua).digest('hex'),
    )
    const loaded = await Promise.all(masters().map((node) => node.script('EXISTS', ...shas) as Promise<number[]>))
    expect(loaded).toEqual([
      [1, 1],
      [1, 1],
      [1, 1],
    ])
  })

  test('login regenerates: the old session is gone, the new one is indexed under the user, both with TTLs', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/')
    await browser.post('/beer')
    const before = panelOf((await browser.get('/login')).html).sessionId!
    const stale = new Map(browser.cookies)
    await browser.post('/login', { email: EMAIL, password: PASSWORD })
    const after = panelOf((await browser.get('/')).html)
    expect(after).toMatchObject({ email: EMAIL, beers: 1 })
    expect(after.sessionId).not.toBe(before)
    expect(await t.onlyReplacedMark(before)).toBe(true)
    expect(await t.redis.pttl(await sessionKey(after.sessionId!))).toBeGreaterThan(0)
    const index = t.indexKey(userId)
    expect(await t.redis.zscore(index, after.sessionId!)).not.toBeNull()
    expect(await t.redis.pttl(index)).toBeGreaterThan(0)

    const replay = new TestBrowser(t.app)
    for (const [name, value] of stale) replay.cookies.set(name, value)
    expect(panelOf((await replay.get('/')).html).email).toBeUndefined()
  })

  test('the sessions page lists a user’s sessions from every slot; revoking one ends it there and leaves the others', async () => {
    const first = await loggedIn()
    const second = await loggedIn()
    const third = await loggedIn()
    const { html } = await second.browser.get('/account/sessions')
    const listed = [...html.matchAll(/<tr data-session-id="([^"]+)"/g)].map((match) => match[1])
    expect(listed).toEqual(expect.arrayContaining([first.sessionId, second.sessionId, third.sessionId]))

    const { response } = await second.browser.post(`/account/sessions/${first.sessionId}/revoke`)
    expect(response.status).toBe(303)
    expect((await first.browser.get('/')).html).toContain('Not logged in')
    expect(panelOf((await second.browser.get('/')).html).email).toBe(EMAIL)
    expect(await t.redis.exists(await sessionKey(first.sessionId))).toBe(0)

    expect((await second.browser.post('/account/sessions/revoke-others')).response.status).toBe(303)
    expect((await third.browser.get('/')).html).toContain('Not logged in')
    const remaining = await t.services.sessions.list(userId, null)
    expect(remaining.map((session) => session.id)).toEqual([second.sessionId])
  })

  test('past MAX_SESSIONS_PER_USER the oldest sessions end, wherever their slots are', async () => {
    const sessions = []
    for (let i = 0; i < 5; i++) sessions.push(await loggedIn())
    const alive = await Promise.all(sessions.map(async ({ sessionId }) => t.redis.exists(await sessionKey(sessionId))))
    expect(alive).toEqual([0, 0, 1, 1, 1])
    expect(await t.redis.zcard(t.indexKey(userId))).toBe(3)
    expect((await sessions[0]!.browser.get('/')).html).toContain('Not logged in')
  })

  test('a logout racing pours never brings the session back', async () => {
    for (let round = 0; round < 5; round++) {
      const { browser, sessionId } = await loggedIn()
      const pour = () => browser.post('/beer', {}, { htmx: true })
      const responses = await Promise.all([pour(), pour(), browser.post('/logout'), pour(), pour()])
      expect(responses.every(({ response }) => response.status < 500)).toBe(true)
      expect(await t.redis.exists(await sessionKey(sessionId))).toBe(0)
    }
  })

  test('the login throttle: both counters of a client share one slot, and the sixth failure is refused', async () => {
    t.setSocketAddress('198.51.100.7')
    try {
      const browser = new TestBrowser(t.app)
      await browser.get('/login')
      for (let i = 0; i < 5; i++) {
        expect((await browser.post('/login', { email: EMAIL, password: 'wrong' })).response.status).toBe(401)
      }
      const refused = await browser.post('/login', { email: EMAIL, password: PASSWORD })
      expect(refused.response.status).toBe(429)
      const keys = (await t.keys()).filter((key) => key.includes('{198.51.100.7}'))
      expect(keys).toHaveLength(2)
      const slots = await Promise.all(keys.map((key) => (t.redis as Cluster).cluster('KEYSLOT', key)))
      expect(slots[0]).toBe(slots[1]!)
      for (const key of keys) expect(await t.redis.pttl(key)).toBeGreaterThan(0)
    } finally {
      t.setSocketAddress('127.0.0.1')
    }
  })

  test('every key the app wrote, on any master, is under the prefix and expires', async () => {
    const prefix = t.config.redis.prefix
    for (const node of masters()) {
      let cursor = '0'
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
        cursor = next
        const expiring = keys.filter((key) => !isMailQueueBookkeeping(key, prefix))
        for (const key of expiring) expect(await node.pttl(key)).toBeGreaterThan(0)
      } while (cursor !== '0')
    }
    expect((await t.keys()).length).toBeGreaterThan(30)
  })

  test('a master going down fails exactly the requests for its slots, within about a second, until it is back', async () => {
    const [down] = cluster.servers
    const downNode = masters().find((node) => node.options.port === down!.port)!
    // Visitors until at least three have their session on the master to stop and three elsewhere.
    const onDown: TestBrowser[] = []
    const elsewhere: TestBrowser[] = []
    for (let i = 0; i < 60 && (onDown.length < 3 || elsewhere.length < 3); i++) {
      const browser = new TestBrowser(t.app)
      const { sessionId } = panelOf((await browser.get('/')).html)
      // A master answers for keys in its own slots and refuses others with MOVED.
      const owned = await downNode.exists(await t.sessionKey(sessionId)).then(
        (found) => found === 1,
        () => false,
      )
      ;(owned ? onDown : elsewhere).push(browser)
    }
    expect(onDown.length).toBeGreaterThanOrEqual(3)
    expect(elsewhere.length).toBeGreaterThanOrEqual(3)
    const browsers = [...onDown, ...elsewhere]
    await down!.stop()
    try {
      const pour = async (browser: TestBrowser) => {
        const started = performance.now()
        const { response } = await browser.post('/beer', {}, { htmx: true })
        return { status: response.status, ms: performance.now() - started }
      }
      const [failed, served] = await Promise.all([Promise.all(onDown.map(pour)), Promise.all(elsewhere.map(pour))])
      expect(failed.map(({ status }) => status)).toEqual(onDown.map(() => 503))
      expect(served.map(({ status }) => status)).toEqual(elsewhere.map(() => 200))
      expect(Math.max(...[...failed, ...served].map(({ ms }) => ms))).toBeLessThan(1500)
    } finally {
      await down!.start()
    }
    // The restarted master rejoins with its slots but without its data: those visitors get new sessions.
    await waitFor(
      'every visitor to be served again',
      async () =>
        (await Promise.all(browsers.map((browser) => browser.get('/')))).every(
          ({ response }) => response.status === 200,
        ),
      5000,
    )
  })
})
