import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { type RedisServer, waitFor } from '../support/redis-server.ts'
import { type ServerProcess, startServerOnOwnRedis } from '../support/server-process.ts'

// Real servers start, stop and hang in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(30_000)

// The real server process on a private redis-server that the tests kill and freeze.
let redis: RedisServer
let server: ServerProcess
let stop: (() => Promise<void>) | undefined

beforeAll(async () => {
  ;({ server, redis, stop } = await startServerOnOwnRedis('redisdown'))
})
afterAll(() => stop?.())

async function timed<T>(action: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now()
  const value = await action()
  return { value, ms: performance.now() - start }
}

async function readiness() {
  const response = await fetch(`${server.url}/readyz`)
  return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } }
}

/** Readiness once it answers `status`: its answer is reused for up to a second, so a change shows within about two. */
async function readinessBecomes(status: number) {
  let last = await readiness()
  await waitFor(
    `/readyz to answer ${status}`,
    async () => {
      last = await readiness()
      return last.status === status
    },
    2500,
  )
  return last
}

function expectAlive() {
  expect(server.child.exitCode).toBeNull()
  expect(server.output()).not.toMatch(/unhandled|uncaught|\berror: /i)
}

describe('Redis stopped mid-traffic', () => {
  test('session requests answer a 503 page fast, the process stays up, and it recovers on its own', async () => {
    const browser = new TestBrowser({ baseUrl: server.url })
    await browser.get('/')
    let pours = 0
    let failures = 0
    let stopTraffic = false
    const traffic = (async () => {
      for (let i = 0; i < 2000 && !stopTraffic; i++) {
        const { response } = await browser.post('/beer', {}, { htmx: true })
        if (response.status === 200) pours++
        else if (response.status === 503) failures++
        else throw new Error(`unexpected status ${response.status}`)
      }
    })()
    await waitFor('some pours', () => pours >= 10)

    await redis.stop()
    await waitFor('pours to fail', () => failures >= 3, 3000)

    const page = await timed(() => browser.get('/'))
    expect(page.value.response.status).toBe(503)
    expect(page.value.response.headers.get('retry-after')).toBe('5')
    expect(page.value.html).toContain('<html')
    expect(page.value.html).toContain('temporarily unavailable')
    expect(page.ms).toBeLessThan(1000)

    const fragment = await timed(() => browser.post('/beer', {}, { htmx: true }))
    expect(fragment.value.response.status).toBe(503)
    expect(fragment.value.html).not.toContain('<html')
    expect(fragment.value.html).toContain('temporarily unavailable')
    expect(fragment.ms).toBeLessThan(1000)

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    const notReady = await readinessBecomes(503)
    expect(notReady.body.checks).toEqual({ redis: 'unavailable', mysql: 'ok' })

    stopTraffic = true
    await traffic
    expect(failures).toBeGreaterThanOrEqual(3)

    await redis.start()
    const restarted = performance.now()
    await waitFor('pages to be served again', async () => (await browser.get('/')).response.status === 200, 5000)
    expect(performance.now() - restarted).toBeLessThan(5000)

    // The restarted Redis kept no data: a new session serves, and counts again.
    const { html } = await browser.get('/')
    const { html: poured } = await browser.post('/beer', {}, { htmx: true })
    expect(panelOf(poured).sessionId).toBe(panelOf(html).sessionId!)
    expect(panelOf(poured).beers).toBe(panelOf(html).beers + 1)
    await readinessBecomes(200)

    expectAlive()
    expect(server.output()).toContain('Redis connection lost')
    expect(server.output()).toContain('Redis connection restored')
  })
})

describe('Redis frozen (accepts connections, answers nothing)', () => {
  test('20 concurrent requests all get a 503 within the 1 s command timeout, then the same session carries on', async () => {
    const browser = new TestBrowser({ baseUrl: server.url })
    await browser.get('/')
    await browser.post('/beer', {}, { htmx: true })

    redis.pause()
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, () => timed(() => browser.post('/beer', {}, { htmx: true }))),
      )
      for (const { value, ms } of results) {
        expect(value.response.status).toBe(503)
        expect(ms).toBeLessThan(1800)
      }
      const notReady = await timed(() => readinessBecomes(503))
      expect(notReady.value.body.checks.redis).toBe('unavailable')
      expect(notReady.ms).toBeLessThan(2500)
    } finally {
      redis.resume()
    }

    await waitFor(
      'pours to work again',
      async () => (await browser.post('/beer', {}, { htmx: true })).response.status === 200,
      5000,
    )
    const { html } = await browser.get('/')
    // Commands that timed out on the client may still have run once Redis woke up.
    expect(panelOf(html).beers).toBeGreaterThanOrEqual(2)
    expectAlive()
  })
})
