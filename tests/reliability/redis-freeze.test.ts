import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { type RedisServer, redisCli } from '../support/redis-server.ts'
import { type ServerProcess, startServerOnOwnRedis } from '../support/server-process.ts'

// Real servers start, stop and freeze in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(60_000)

// The real server process on a private redis-server that the tests stall.
let redis: RedisServer
let server: ServerProcess
let stop: (() => Promise<void>) | undefined

beforeAll(async () => {
  ;({ server, redis, stop } = await startServerOnOwnRedis('redisfreeze'))
})
afterAll(() => stop?.())

const POURERS = 64
const STALL_MS = 3000

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024

/** 64 clients pour on one session while Redis stalls for 3 s; what they were answered, and the count after. */
async function pourThroughStall(stall: { begin: () => Promise<void> | void; end: () => Promise<void> | void }) {
  const browser = new TestBrowser({ baseUrl: server.url })
  const start = panelOf((await browser.get('/')).html)
  let answered200 = 0
  let answered503 = 0
  let stopped = false
  const pourer = async () => {
    while (!stopped) {
      const { response } = await browser.post('/beer', {}, { htmx: true })
      if (response.status === 200) answered200++
      else if (response.status === 503) answered503++
      else throw new Error(`unexpected status ${response.status}`)
    }
  }
  const pourers = Array.from({ length: POURERS }, pourer)
  await Bun.sleep(500)
  const rssBefore = rssMb(server.child.pid)
  await stall.begin()
  await Bun.sleep(STALL_MS)
  const rssStalled = rssMb(server.child.pid)
  await stall.end()
  await Bun.sleep(500)
  stopped = true
  await Promise.all(pourers)
  const after = panelOf((await browser.get('/')).html)
  expect(after.sessionId).toBe(start.sessionId!)
  return { answered200, answered503, counted: after.beers!, rssGrowth: rssStalled - rssBefore }
}

describe('Redis stalled mid-traffic', () => {
  test('a Redis that stops taking commands: no pour answered 503 is counted when it resumes', async () => {
    // CLIENT PAUSE holds every command unrun, as a Redis stuck before reading them would.
    const poured = await pourThroughStall({
      begin: async () => {
        expect(await redisCli(redis.port, 'CLIENT', 'PAUSE', String(STALL_MS), 'ALL')).toContain('OK')
      },
      end: () => {},
    })
    expect(poured.answered503).toBeGreaterThan(0)
    expect(poured.answered200).toBeGreaterThan(0)
    // Everything held ran when the pause ended, after its deadline: refused, not counted.
    expect(poured.counted).toBe(poured.answered200)
    expect(server.output()).not.toMatch(/unhandled|uncaught/i)
  })

  test('a Redis process frozen (SIGSTOP): no pour answered 200 is lost, and at most those in flight are counted after a 503', async () => {
    const poured = await pourThroughStall({ begin: () => redis.pause(), end: () => redis.resume() })
    expect(poured.answered503).toBeGreaterThan(0)
    expect(poured.answered200).toBeGreaterThan(0)
    expect(poured.counted).toBeGreaterThanOrEqual(poured.answered200)
    // A freeze can land after Redis ran a command and before it sent the reply:
    // no client can tell that pour from one never run. Only those already in
    // flight can be such; everything sent into the freeze is refused as late.
    expect(poured.counted - poured.answered200).toBeLessThanOrEqual(POURERS)
    // Commands waiting on the frozen Redis are bounded: memory does not grow with the freeze.
    expect(poured.rssGrowth).toBeLessThan(40)
    expect(server.output()).not.toMatch(/unhandled|uncaught/i)
  })
})
