import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { panelOf, TestBrowser } from './support/browser.ts'
import { freePort } from './support/redis-server.ts'
import { type ServerProcess, startServerProcess } from './support/server-process.ts'
import { dropIsolation, isolation, redisEnv, SERVER_URL } from './support/test-app.ts'

let server: ServerProcess
const { prefix, database } = isolation('nodebuild')

beforeAll(async () => {
  const build = Bun.spawnSync(['npm', 'run', 'build:node'], { stdout: 'pipe', stderr: 'pipe' })
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`)
  const env = { REDIS_PREFIX: prefix, DATABASE_URL: `${SERVER_URL}/${database}`, ...redisEnv() }
  server = startServerProcess(await freePort(), env, ['node', 'dist/server-node.js'])
  await server.waitUntilReady(30_000)
}, 60_000)
afterAll(async () => {
  await server?.kill()
  await dropIsolation({ prefix, database })
})

describe('the Node build (npm run start:node)', () => {
  test('serves the app on plain Node: a page, a pour, a login', async () => {
    const browser = new TestBrowser({ baseUrl: server.url })
    const { response, html } = await browser.get('/')
    expect(response.status).toBe(200)
    expect(panelOf(html).sessionId).toBeDefined()
    const pour = await browser.post('/beer', {}, { htmx: true })
    expect(pour.response.status).toBe(200)
    expect(pour.html).toContain('class="beer-name"')
    expect(panelOf(pour.html).beers).toBe(1)
    await browser.get('/login')
    const login = await browser.post('/login', { email: 'test@example.com', password: 'password' })
    expect(login.response.status).toBe(303)
    expect(panelOf((await browser.get('/')).html).email).toBe('test@example.com')
  })

  test('stops cleanly on SIGTERM', async () => {
    server.child.kill('SIGTERM')
    expect(await server.child.exited).toBe(0)
    expect(server.output()).toContain('stopped')
  })
})
