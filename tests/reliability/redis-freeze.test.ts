import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { panelOf, TestBrowser } from '../support/browser.ts'
import type { RedisServer } from '../support/redis-server.ts'
import { type ServerProcess, startServerOnOwnRedis } from '../support/server-process.ts'

// Real servers start, stop and freeze in here; a busy machine needs more than the 5 s default.
setDefaultTimeout(60_000)

// The real server process on a private redis-server that the test freezes with SIGSTOP.
let redis: RedisServer
let server: ServerProcess
let stop: (() => Promise<void>) | undefined

beforeAll(async () => {
  ;({ server, redis, stop } = await startServerOnOwnRedis('redisfreeze'))
})
afterAll(() => stop?.())

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024

describe('Redis frozen mid-traffic', () => {
  test('no pour answered 503 is counted when Redis resumes: the count equals the pours answered 200', async () => {
    const browser = new TestBrowser({ baseUrl: server.url })
    const start = panelOf((await browser.get('/')).html)
    let answered200 = 0
    let answered503 = 0
    let stop = false
    const pourer = async () => {
      while (!stop) {
        const { response } = await browser.post('/beer', {}, { htmx: true })
        if (response.status === 200) answered200++
        else if (response.status === 503) answered503++
        else throw new Error(`unexpected status ${response.status}`)
      }
    }
    const pourers = Array.from({ length: 64 }, pourer)
    await Bun.sleep(500)
    const rssBefore = rssMb(server.child.pid)
    redis.pause()
    await Bun.sleep(3000)
    const rssFrozen = rssMb(server.child.pid)
    redis.resume()
    await Bun.sleep(500)
    stop = true
    await Promise.all(pourers)

    // Whatever the frozen Redis still held ran when it resumed; it refused it as late.
    const after = panelOf((await browser.get('/')).html)
    expect(after.sessionId).toBe(start.sessionId!)
    expect(after.beers).toBe(answered200)
    expect(answered503).toBeGreaterThan(0)
    expect(answered200).toBeGreaterThan(0)
    // Commands waiting on the frozen Redis are bounded: memory does not grow with the freeze.
    expect(rssFrozen - rssBefore).toBeLessThan(40)
    expect(server.output()).not.toMatch(/unhandled|uncaught/i)
  })
})
