import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Beer } from '../../src/beer/generator.ts'
import { createRemoteBeerSource } from '../../src/beer/remote.ts'

const REMOTE: Beer = { name: 'Remote Rye IPA', style: 'IPA' }
const FALLBACK: Beer = { name: 'Fallback Dog Porter', style: 'Porter' }
const SLOW_MS = 1500
const TIMEOUT_MS = 200

const json = (body: unknown, status = 200) => Response.json(body, { status })

const routes: Record<string, () => Response | Promise<Response>> = {
  '/good': () => json({ status: 'success', data: { ...REMOTE, brewery: 'ignored' } }),
  '/bad-json': () =>
    new Response('{"status": "success", "data": {', { headers: { 'content-type': 'application/json' } }),
  '/empty-name': () => json({ status: 'success', data: { name: '  ', style: 'IPA' } }),
  '/long-name': () => json({ status: 'success', data: { name: 'A'.repeat(101), style: 'IPA' } }),
  '/control-char': () => json({ status: 'success', data: { name: 'Bell\u0007 Tripel', style: 'Belgian Tripel' } }),
  '/no-data': () => json({ status: 'success', name: REMOTE.name, style: REMOTE.style }),
  '/number-style': () => json({ status: 'success', data: { name: REMOTE.name, style: 7 } }),
  '/server-error': () => json({ status: 'success', data: REMOTE }, 500),
  '/slow': async () => {
    await Bun.sleep(SLOW_MS)
    return json({ status: 'success', data: REMOTE })
  },
  '/slow-body': () =>
    new Response(
      new ReadableStream({
        async start(controller) {
          controller.enqueue(new TextEncoder().encode('{"status": "success", '))
          await Bun.sleep(SLOW_MS)
          controller.enqueue(new TextEncoder().encode(`"data": ${JSON.stringify(REMOTE)}}`))
          controller.close()
        },
      }),
      { headers: { 'content-type': 'application/json' } },
    ),
}

let server: ReturnType<typeof Bun.serve>
let refusedUrl: string

beforeAll(() => {
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request) => routes[new URL(request.url).pathname]?.() ?? new Response('not found', { status: 404 }),
  })
  const closed = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') })
  refusedUrl = `http://127.0.0.1:${closed.port}/good`
  closed.stop(true)
})
afterAll(() => server.stop(true))

// Calls the source once and reports what it returned, how often the fallback ran, and how long it took.
async function fetchFrom(url: string, timeoutMs = TIMEOUT_MS) {
  let fallbacks = 0
  const source = createRemoteBeerSource(
    url,
    () => {
      fallbacks++
      return FALLBACK
    },
    timeoutMs,
  )
  const started = performance.now()
  const beer = await source()
  return { beer, fallbacks, elapsed: performance.now() - started }
}

const at = (path: string) => `http://127.0.0.1:${server.port}${path}`

describe('createRemoteBeerSource', () => {
  test('good JSON: the remote beer, with only name and style, and no fallback', async () => {
    // A timeout no busy machine reaches: a good reply must not become the fallback by being late.
    const { beer, fallbacks } = await fetchFrom(at('/good'), 10_000)
    expect(beer).toEqual(REMOTE)
    expect(Object.keys(beer).sort()).toEqual(['name', 'style'])
    expect(fallbacks).toBe(0)
  })

  test('bad JSON: the fallback', async () => {
    expect(await fetchFrom(at('/bad-json'))).toMatchObject({ beer: FALLBACK, fallbacks: 1 })
  })

  for (const path of ['/empty-name', '/long-name', '/control-char', '/no-data', '/number-style']) {
    test(`bad shape (${path}): the fallback`, async () => {
      expect(await fetchFrom(at(path))).toMatchObject({ beer: FALLBACK, fallbacks: 1 })
    })
  }

  test('a non-2xx reply, even with a good body: the fallback', async () => {
    expect(await fetchFrom(at('/server-error'))).toMatchObject({ beer: FALLBACK, fallbacks: 1 })
    expect(await fetchFrom(at('/missing'))).toMatchObject({ beer: FALLBACK, fallbacks: 1 })
  })

  test('a slow reply: the fallback once the timeout passes, not when the reply comes', async () => {
    const { beer, fallbacks, elapsed } = await fetchFrom(at('/slow'))
    expect(beer).toEqual(FALLBACK)
    expect(fallbacks).toBe(1)
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20)
    expect(elapsed).toBeLessThan(SLOW_MS - 300)
  })

  test('a body that stalls after the headers: the timeout still applies', async () => {
    const { beer, fallbacks, elapsed } = await fetchFrom(at('/slow-body'))
    expect(beer).toEqual(FALLBACK)
    expect(fallbacks).toBe(1)
    expect(elapsed).toBeLessThan(SLOW_MS - 300)
  })

  test('a refused connection: the fallback', async () => {
    expect(await fetchFrom(refusedUrl)).toMatchObject({ beer: FALLBACK, fallbacks: 1 })
  })

  test('a fallback that throws is not swallowed', async () => {
    const source = createRemoteBeerSource(
      refusedUrl,
      () => {
        throw new Error('no local generator')
      },
      TIMEOUT_MS,
    )
    await expect(source()).rejects.toThrow('no local generator')
  })
})
