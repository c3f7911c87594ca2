import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { Socket } from 'node:net'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { freePort, redisServer, startRedisServer, waitFor } from '../support/redis-server.ts'
import { type ServerProcess, startServerProcess } from '../support/server-process.ts'
import { tcpProxy } from '../support/tcp-proxy.ts'
import { dropDatabase, isolation, SERVER_URL } from '../support/test-app.ts'
import { HELD_BEER, heldBeerApi } from './support/held-beer-api.ts'
import { databaseUrlVia, mysqlAddress } from './support/services.ts'

// Real servers start, stop and hang in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(30_000)

const cleanups: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

/** Whether a fresh TCP connection to the port is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket()
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
    socket.connect(port, '127.0.0.1')
  })
}

describe('graceful shutdown', () => {
  test('SIGTERM with 50 pours in flight: no new connections after the drain second, every pour completes, then the process exits 0', async () => {
    const { prefix, database } = isolation('shutdown')
    const redis = await startRedisServer()
    const beerApi = heldBeerApi()
    const port = await freePort()
    const server = startServerProcess(port, {
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      DATABASE_URL: `${SERVER_URL}/${database}`,
      BEER_API_URL: beerApi.url,
    })
    cleanups.push(
      () => server.kill(),
      () => beerApi.stop(),
      () => redis.stop(),
      () => dropDatabase(database),
    )
    await server.waitUntilReady()
    const browser = new TestBrowser({ baseUrl: server.url })
    await browser.get('/')

    const pours = Array.from({ length: 50 }, () => browser.post('/beer', {}, { htmx: true }))
    await waitFor('all 50 pours to be waiting on the beer API', () => beerApi.received() === 50)
    server.child.kill('SIGTERM')
    await server.waitForOutput(/SIGTERM received/)
    await waitFor('the listener to close after the drain second', async () => !(await accepts(port)), 3000)
    beerApi.release()

    const results = await Promise.all(pours)
    expect(results.map(({ response }) => response.status)).toEqual(Array.from({ length: 50 }, () => 200))
    expect(results.every(({ html }) => html.includes(HELD_BEER.name))).toBe(true)
    expect(results.map(({ html }) => panelOf(html).beers).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    )
    expect(await server.child.exited).toBe(0)
    expect(server.output()).toMatch(/SIGTERM received: finishing in-flight requests \(up to 10 s\)[\s\S]*stopped/)
    expect(server.output()).not.toContain('grace period over')
    expect(server.output()).not.toMatch(/unhandled|uncaught|\berror: /i)
  })
})

describe('startup before Redis and MySQL are up', () => {
  test('retries each with a clear log line, then serves once both answer', async () => {
    const { prefix, database } = isolation('startup')
    const redis = redisServer(await freePort())
    const mysql = tcpProxy(await freePort(), mysqlAddress())
    const port = await freePort()
    const server: ServerProcess = startServerProcess(port, {
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      DATABASE_URL: databaseUrlVia(mysql, database),
    })
    cleanups.push(
      () => server.kill(),
      () => redis.stop(),
      () => mysql.stop(),
      () => dropDatabase(database),
    )

    await server.waitForOutput(
      /Redis not reachable yet \(attempt 2\/30: connect ECONNREFUSED 127\.0\.0\.1:\d+\); retrying in \d+ ms/,
    )
    expect(await accepts(port)).toBe(false)
    await redis.start()

    await server.waitForOutput(/MySQL not ready \(attempt 1\/30: .*ECONNREFUSED.*\); retrying in \d+ ms/)
    expect(await accepts(port)).toBe(false)
    await mysql.start()

    await server.waitUntilReady()
    const { response, html } = await new TestBrowser({ baseUrl: server.url }).get('/')
    expect(response.status).toBe(200)
    expect(html).toContain('data-session-id=')
    server.child.kill('SIGTERM')
    expect(await server.child.exited).toBe(0)
    expect(server.output()).not.toMatch(/unhandled|uncaught|\berror: /i)
  })
})

describe('shutdown grace and startup failure', () => {
  test('requests still running when SHUTDOWN_GRACE_SECONDS ends are cut, and the process still exits 0', async () => {
    const { prefix, database } = isolation('grace')
    const redis = await startRedisServer()
    const beerApi = heldBeerApi()
    const server = startServerProcess(await freePort(), {
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      DATABASE_URL: `${SERVER_URL}/${database}`,
      BEER_API_URL: beerApi.url,
      SHUTDOWN_GRACE_SECONDS: '0.3',
    })
    cleanups.push(
      () => server.kill(),
      () => beerApi.stop(),
      () => redis.stop(),
      () => dropDatabase(database),
    )
    await server.waitUntilReady()
    const browser = new TestBrowser({ baseUrl: server.url })
    await browser.get('/')

    const pours = Array.from({ length: 10 }, () =>
      browser.post('/beer', {}, { htmx: true }).then(
        ({ response }) => response.status,
        () => 'cut' as const,
      ),
    )
    await waitFor('the pours to be waiting on the beer API', () => beerApi.received() === 10)
    const signalled = performance.now()
    server.child.kill('SIGTERM')
    expect(await server.child.exited).toBe(0)
    expect(performance.now() - signalled).toBeLessThan(1500)
    expect(await Promise.all(pours)).toEqual(Array.from({ length: 10 }, () => 'cut' as const))
    expect(server.output()).toMatch(
      /up to 0\.3 s\)[\s\S]*grace period over: closing remaining connections[\s\S]*stopped/,
    )
    beerApi.release()
  })

  test('a MySQL that refuses our credentials ends startup at once with one clear line and exit 1', async () => {
    const { prefix, database } = isolation('denied')
    const redis = await startRedisServer()
    cleanups.push(() => redis.stop())
    const url = new URL(SERVER_URL)
    url.username = 'taproom_no_such_user'
    url.pathname = `/${database}`
    const server = startServerProcess(await freePort(), {
      REDIS_URL: redis.url,
      REDIS_PREFIX: prefix,
      DATABASE_URL: url.toString(),
    })
    cleanups.push(() => server.kill())
    expect(await server.child.exited).toBe(1)
    expect(server.output()).toMatch(/startup failed: MySQL: Access denied for user 'taproom_no_such_user'/)
    expect(server.output()).not.toContain('MySQL not ready')
  })
})
