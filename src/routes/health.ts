import { Hono } from 'hono'
import type { Lifecycle } from '../lifecycle.ts'

/** Resolves when the dependency is usable; rejects otherwise (with a `reason` worth showing, if it has one). */
export type ReadinessCheck = () => Promise<unknown>

type Report = { ready: boolean; checks: Record<string, string> }

const CHECK_TIMEOUT_MS = 1000
/* A good answer is reused for a second, a bad one for a quarter: long enough that a flood costs one check a second. */
const READY_FOR_MS = 1000
const NOT_READY_FOR_MS = 250

/**
 * GET /healthz (the process serves; no I/O) and GET /readyz (Redis and MySQL
 * answer; 503 once the process is shutting down). Neither touches a session. Readiness is checked at most once at a
 * time and its answer reused briefly, so any number of load balancers (or a
 * flood) polling it costs about one check a second.
 */
export function healthRoutes(
  checks: Record<string, ReadinessCheck>,
  lifecycle: Lifecycle,
  now: () => number = Date.now,
) {
  let cached: { report: Report; until: number } | undefined
  let running: Promise<Report> | undefined

  const readiness = (): Promise<Report> => {
    if (cached && now() < cached.until) return Promise.resolve(cached.report)
    running ??= runChecks(checks).then((report) => {
      cached = { report, until: now() + (report.ready ? READY_FOR_MS : NOT_READY_FOR_MS) }
      running = undefined
      return report
    })
    return running
  }

  return new Hono()
    .get('/healthz', (c) => {
      c.header('Cache-Control', 'no-store')
      return c.json({ status: 'ok' })
    })
    .get('/readyz', async (c) => {
      c.header('Cache-Control', 'no-store')
      // A balancer stops sending new requests to an instance that is shutting down.
      if (lifecycle.draining) return c.json({ status: 'shutting down' }, 503)
      const { ready, checks: report } = await readiness()
      c.header('Cache-Control', 'no-store')
      return c.json({ status: ready ? 'ready' : 'not ready', checks: report }, ready ? 200 : 503)
    })
}

async function runChecks(checks: Record<string, ReadinessCheck>): Promise<Report> {
  const names = Object.keys(checks)
  const results = await Promise.all(names.map((name) => withTimeout(checks[name]!)))
  return {
    ready: results.every((result) => result === 'ok'),
    checks: Object.fromEntries(names.map((name, i) => [name, results[i]!])),
  }
}

async function withTimeout(check: ReadinessCheck): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('unavailable'), CHECK_TIMEOUT_MS)
  })
  try {
    return await Promise.race([
      Promise.resolve()
        .then(check)
        .then(
          () => 'ok',
          (error: { reason?: unknown }) => (typeof error?.reason === 'string' ? error.reason : 'unavailable'),
        ),
      timeout,
    ])
  } finally {
    clearTimeout(timer)
  }
}
