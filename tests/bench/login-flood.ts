import { writeFileSync } from 'node:fs'
import mysql from 'mysql2/promise'
import type { LoadGenerator } from './load.ts'
import { type Child, cpuMs, cpuMsByThread } from './processes.ts'
import { openSession } from './sessions.ts'

export type FloodResult = {
  clients: number
  accounts: number
  seconds: number
  /** Answers by status: 303 (logged in), 403, 429, 503, other. */
  statuses: Record<string, number>
  socketErrors: number
  loginsPerSecond: number
  answersPerSecond: number
  p99Ms: number
  /** One login from a fresh client (GET / for a session, then POST /login) right after the flood. */
  freshLogin: { status: number; ms: number }
  /**
   * CPU used during the flood, in ms: the app (every thread), its main thread,
   * its worker threads (bcrypt, and the strength check if a sign-up started
   * it), and the load generator.
   */
  cpu: { appMs: number; mainThreadMs: number; workersMs: number; generatorMs: number }
}

/*
 * Spread over accounts as a crowd of real users would be: the per-account cap
 * (LOGIN_MAX_FAILURES_PER_ACCOUNT, at most 100 as NIST allows) counts each
 * attempt as it starts, so a flood on one account measures that cap, which
 * refuses it with 429 by design, once more than 100 are in flight at once.
 * 50 clients per account stay under it whatever LOGIN_MAX_CONCURRENT lets in.
 */
const ACCOUNTS = 20
const ACCOUNT = (i: number) => `flood${i}@example.com`

/**
 * The login flood: `clients` connections POST correct logins in a tight loop
 * for `seconds`, ignoring Retry-After, with as many sessions (each with its
 * CSRF token) rotated over the requests, spread over ACCOUNTS accounts; then
 * one fresh client logs in.
 */
export async function loginFlood({
  app,
  base,
  databaseUrl,
  generator,
  clients,
  seconds,
  sessionsFile,
}: {
  app: Child
  base: string
  databaseUrl: string
  generator: LoadGenerator
  clients: number
  seconds: number
  sessionsFile: string
}): Promise<FloodResult> {
  await createAccounts(databaseUrl)
  const lines: string[] = []
  for (let i = 0; i < clients; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, clients - i) }, () => openSession(base)))
    for (const [j, { cookie, csrf }] of batch.entries())
      lines.push(`${cookie} ${csrf} ${encodeURIComponent(ACCOUNT((i + j) % ACCOUNTS))}\n`)
  }
  writeFileSync(sessionsFile, lines.join(''))

  const appBefore = cpuMs(app.pid)
  const threadsBefore = cpuMsByThread(app.pid)
  // A login admitted near the end may take seconds on a starved machine: wait for it rather than count it as failed.
  const result = await generator.run({
    url: `${base}/login`,
    mode: 'flood',
    connections: clients,
    seconds,
    sessionsFile,
    timeoutSeconds: 10,
  })
  const threads = cpuMsByThread(app.pid)
  const spent = (name: string) => (threads.get(name) ?? 0) - (threadsBefore.get(name) ?? 0)
  const cpu = {
    appMs: cpuMs(app.pid) - appBefore,
    mainThreadMs: spent('main'),
    // Bun names its worker threads so.
    workersMs: spent('Worker'),
    generatorMs: result.generatorCpuMs,
  }
  const freshLogin = await timeFreshLogin(base, ACCOUNT(0))
  const statuses = result.statuses ?? {}
  return {
    clients,
    accounts: ACCOUNTS,
    seconds: result.seconds,
    statuses,
    socketErrors: result.socketErrors,
    loginsPerSecond: (statuses['303'] ?? 0) / result.seconds,
    answersPerSecond: result.rps,
    p99Ms: result.p99Ms,
    freshLogin,
    cpu,
  }
}

/* The accounts share the demo user's password hash ("password", cost 12), verified and ready to log in. */
async function createAccounts(databaseUrl: string): Promise<void> {
  const connection = await mysql.createConnection({ uri: databaseUrl })
  try {
    const values = Array.from({ length: ACCOUNTS }, (_, i) => [ACCOUNT(i)])
    await connection.query(
      `INSERT IGNORE INTO users (id, email, password_hash, created_at, email_verified_at)
       SELECT UUID(), emails.email, demo.password_hash, NOW(), NOW()
       FROM users demo JOIN (${values.map(() => 'SELECT ? AS email').join(' UNION ALL ')}) emails
       WHERE demo.email = 'test@example.com'`,
      values.flat(),
    )
  } finally {
    await connection.end()
  }
}

/* A page the fresh client could not get (a 503) counts as its login's answer. */
async function timeFreshLogin(base: string, email: string): Promise<{ status: number; ms: number }> {
  const started = performance.now()
  const page = await fetch(`${base}/`)
  const html = await page.text()
  const cookie = page.headers
    .getSetCookie()
    .map((header) => header.split(';')[0]!)
    .find((pair) => pair.split('=')[0]!.endsWith('_session'))
  const csrf = html.match(/<meta name="csrf-token" content="([^"]+)"/)?.[1]
  if (page.status !== 200 || !cookie || !csrf) return { status: page.status, ms: performance.now() - started }
  const answer = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: `email=${encodeURIComponent(email)}&password=password&_csrf=${csrf}`,
    redirect: 'manual',
  })
  await answer.arrayBuffer()
  return { status: answer.status, ms: performance.now() - started }
}
