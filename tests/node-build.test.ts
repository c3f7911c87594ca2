import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { panelOf, TestBrowser } from './support/browser.ts'
import { spawnServer, type SpawnedServer } from './support/spawn-server.ts'

let server: SpawnedServer

beforeAll(async () => {
  const build = Bun.spawnSync(['npm', 'run', 'build:node'], { stdout: 'pipe', stderr: 'pipe' })
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr.toString()}`)
  server = await spawnServer(['node', 'dist/server-node.js'], 'nodebuild')
}, 60_000)
afterAll(() => server?.cleanup())

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
    expect(await server.stop('SIGTERM')).toBe(0)
    expect(server.output()).toContain('stopped')
  })
})
