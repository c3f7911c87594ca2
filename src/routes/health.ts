import { Hono } from 'hono'

export type ReadinessCheck = () => Promise<unknown>

const CHECK_TIMEOUT_MS = 1000

/** GET /healthz (the process serves) and GET /readyz (Redis and MySQL answer). Neither touches a session. */
export function healthRoutes(checks: Record<string, ReadinessCheck>) {
  return new Hono()
    .get('/healthz', (c) => {
      c.header('Cache-Control', 'no-store')
      return c.json({ status: 'ok' })
    })
    .get('/readyz', async (c) => {
      const names = Object.keys(checks)
      const results = await Promise.all(names.map((name) => withTimeout(checks[name]!())))
      const report = Object.fromEntries(names.map((name, i) => [name, results[i] ? 'ok' : 'unavailable']))
      const ready = results.every(Boolean)
      c.header('Cache-Control', 'no-store')
      return c.json({ status: ready ? 'ready' : 'not ready', checks: report }, ready ? 200 : 503)
    })
}

async function withTimeout(check: Promise<unknown>): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS)))
  try {
    return await Promise.race([
      check.then(
        () => true,
        () => false,
      ),
      timeout,
    ])
  } finally {
    clearTimeout(timer)
  }
}
