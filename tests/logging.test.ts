import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { rateLimitedLog } from '../src/log.ts'
import { TestBrowser } from './support/browser.ts'
import { type RedisServer, redisCli, startRedisServer } from './support/redis-server.ts'
import { captureLogs, createTestApp, type TestApp } from './support/test-app.ts'

setDefaultTimeout(30_000)

const parse = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>)
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('rateLimitedLog', () => {
  test('a storm of one cause is one line at once, then one line per window with the count', async () => {
    const { logger, lines } = captureLogs()
    const logFailure = rateLimitedLog(logger, 100)
    for (let i = 0; i < 500; i++) logFailure('warn', 'redis:OOM', { n: i }, 'redis unavailable')
    logFailure('warn', 'database:ECONNREFUSED', {}, 'database unavailable')
    expect(parse(lines).map((line) => line.cause)).toEqual(['redis:OOM', 'database:ECONNREFUSED'])

    await sleep(150)
    const summary = parse(lines)[2]!
    expect(summary).toMatchObject({ level: 'warn', cause: 'redis:OOM', repeated: 499, n: 499 })

    for (let i = 0; i < 10; i++) logFailure('warn', 'redis:OOM', {}, 'redis unavailable')
    await sleep(150)
    expect(parse(lines).at(-1)).toMatchObject({ cause: 'redis:OOM', repeated: 10 })
    const count = lines.length
    await sleep(250)
    expect(lines.length).toBe(count)

    logFailure('warn', 'redis:OOM', {}, 'redis unavailable')
    expect(parse(lines).at(-1)).toMatchObject({ cause: 'redis:OOM' })
    expect(parse(lines).at(-1)!.repeated).toBeUndefined()
  })
})

describe('the app log', () => {
  let t: TestApp
  let redis: RedisServer

  beforeAll(async () => {
    redis = await startRedisServer()
    t = await createTestApp('logging', { REDIS_URL: redis.url })
  })
  afterAll(async () => {
    await redisCli(redis.port, 'CONFIG', 'SET', 'maxmemory', '0')
    await t.cleanup()
    await redis.stop()
  })

  test('every line is JSON with time, level and msg; each request gets an access line under our own id', async () => {
    const from = t.logs.length
    const response = await t.app.request('/login', { headers: { 'x-request-id': 'chosen-by-the-client' } })
    const ours = response.headers.get('x-request-id')!
    expect(ours).toMatch(/^[0-9a-f-]{36}$/)
    const lines = parse(t.logs.slice(from))
    for (const line of lines) {
      expect(typeof line.time).toBe('string')
      expect(typeof line.level).toBe('string')
      expect(typeof line.msg).toBe('string')
    }
    expect(lines).toContainEqual(
      expect.objectContaining({
        type: 'access',
        requestId: ours,
        clientRequestId: 'chosen-by-the-client',
        method: 'GET',
        route: '/login',
        status: 200,
      }),
    )
  })

  test("a client's X-Request-Id never becomes the id of audit lines", async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const from = t.audit.length
    const { response } = await browser.post(
      '/login',
      { email: 'nobody@example.com', password: 'wrong password here' },
      { headers: { 'x-request-id': 'another-requests-id' } },
    )
    expect(response.status).toBe(401)
    const [failure] = t.audit.slice(from)
    expect(failure).toMatchObject({ event: 'login_failure', requestId: response.headers.get('x-request-id')! })
    expect(JSON.stringify(t.audit)).not.toContain('another-requests-id')
  })

  test('a body that breaks off mid-stream is a 400 logged once at warn, not a 500', async () => {
    const browser = new TestBrowser(t.app)
    await browser.get('/login')
    const from = t.logs.length
    const send = () =>
      browser.request('/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': browser.csrfToken },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('email=a'))
            controller.error(new Error('The connection was closed.'))
          },
        }),
        duplex: 'half',
      } as RequestInit)
    const responses = await Promise.all(Array.from({ length: 20 }, send))
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(400))
    expect(await responses[0]!.text()).toContain('The submitted form could not be read.')
    const lines = parse(t.logs.slice(from)).filter((line) => line.type !== 'access')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'warn', status: 400 })
  })

  test('Redis refusing writes (out of memory) is a 503 logged once at warn, with its code', async () => {
    await redisCli(redis.port, 'CONFIG', 'SET', 'maxmemory', '1')
    const from = t.logs.length
    try {
      const responses = await Promise.all(Array.from({ length: 30 }, () => t.app.request('/')))
      expect(responses.map((response) => response.status)).toEqual(Array(30).fill(503))
    } finally {
      await redisCli(redis.port, 'CONFIG', 'SET', 'maxmemory', '0')
    }
    const lines = parse(t.logs.slice(from)).filter((line) => line.type !== 'access')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'warn', service: 'redis', errorCode: 'OOM', status: 503 })
  })
})
