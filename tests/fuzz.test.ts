import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { TestBrowser } from './support/browser.ts'
import { createTestApp, isMailQueueBookkeeping, type TestApp } from './support/test-app.ts'

let t: TestApp
let browser: TestBrowser
const EMAIL = 'fuzz@example.com'
const PASSWORD = 'fuzzy kettle 93 lamp'

/** The fuzzer's session is logged in, so the account routes are reached too. */
async function logIn() {
  await browser.get('/login')
  await browser.post('/login', { email: EMAIL, password: PASSWORD })
  await browser.get('/')
}
const keysTouched = new Set<string>()

type Sent = { name: string; args: unknown[] }

/** The keys a command names: EVAL/EVALSHA list theirs after numkeys; the rest lead with one. */
function keysOf({ name, args }: Sent): string[] {
  if (name === 'evalsha' || name === 'eval') return args.slice(2, 2 + Number(args[1])).map(String)
  if (['ping', 'info', 'script', 'quit', 'client', 'cluster', 'select', 'auth', 'hello'].includes(name)) return []
  return args.length > 0 ? [String(args[0])] : []
}

beforeAll(async () => {
  t = await createTestApp('fuzz')
  const original = t.redis.sendCommand
  t.redis.sendCommand = ((command: Sent, ...rest: unknown[]) => {
    for (const key of keysOf(command)) keysTouched.add(key)
    return (original as (...args: unknown[]) => unknown).call(t.redis, command, ...rest)
  }) as typeof original
  await t.services.users.create(EMAIL, await t.services.hasher.hash(PASSWORD), { verifiedAt: new Date() })
  browser = new TestBrowser(t.app)
  await logIn()
})
afterAll(() => t.cleanup())

const paths = [
  '/',
  '/beer',
  '/session',
  '/login',
  '/logout',
  '/signup',
  '/account/sessions',
  '/account/password',
  '/account/sessions/abc/revoke',
  '/account/sessions/revoke-others',
  '/account/activity',
  '/account/confirm',
  '/account/delete',
  '/session/extend',
  '/account/security',
  '/account/security/totp',
  '/account/security/totp/setup',
  '/account/security/totp/confirm',
  '/account/security/totp/disable',
  '/account/security/recovery-codes',
  '/account/security/passkeys',
  '/account/security/passkeys/options',
  '/account/security/passkeys/abc/rename',
  '/account/security/passkeys/00000000-0000-0000-0000-000000000000/remove',
  '/login/verify',
  '/login/passkey',
  '/login/passkey/options',
  '/how-it-works',
  '/healthz',
  '/readyz',
  '/static/app.js',
]

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    '\u0000',
    "' OR 1=1 --",
    '<script>alert(1)</script>',
    'test@example.com',
    'password',
    '%FF%FE',
    '😀@example.com',
  ),
)

const fieldName = fc.oneof(
  fc.constantFrom(
    'email',
    'password',
    'password_confirm',
    'current_password',
    'new_password',
    'new_password_confirm',
    '_csrf',
    'code',
    'name',
    'response',
    'next',
  ),
  fc.string({ maxLength: 12 }),
)

const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'POST', 'PUT', 'DELETE', 'HEAD'),
  // Weighted towards real routes with a real session and token, so that many
  // requests get past the CSRF check and the fuzz reaches the handlers.
  path: fc.oneof(
    { arbitrary: fc.constantFrom(...paths), weight: 4 },
    fc.webPath(),
    fc.string({ maxLength: 30 }).map((s) => `/${encodeURIComponent(s)}`),
  ),
  form: fc.array(fc.tuple(fieldName, text), { maxLength: 6 }),
  useSession: fc.boolean(),
  useCsrf: fc.boolean(),
  // Half the requests come as a browser on this site would send them (session,
  // token, same-origin headers, a form body), so the fuzz reaches the handlers
  // and not only the checks in front of them.
  wellFormed: fc.boolean(),
  cookie: fc.option(
    fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom('taproom_session=a.b', `taproom_session=${'A'.repeat(32)}.${'B'.repeat(22)}`),
    ),
    { nil: undefined },
  ),
  contentType: fc.constantFrom(
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json',
    'text/plain',
    undefined,
  ),
  htmx: fc.boolean(),
  origin: fc.option(fc.constantFrom('http://localhost', 'https://evil.example', 'null', '::::'), { nil: undefined }),
  fetchSite: fc.option(fc.constantFrom('same-origin', 'cross-site', 'none', 'same-site', '??'), { nil: undefined }),
  forwardedFor: fc.option(fc.oneof(fc.ipV4(), fc.string({ maxLength: 20 })), { nil: undefined }),
})

describe('random requests at every route', () => {
  test('never a 5xx, never an uncaught error, never a key outside the prefix', async () => {
    // A request that logs in, out or changes the account ends the fuzzer's
    // session (its cookie is not kept): log in again before the next one.
    let stale = false
    const accepted = new Set<string>()
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        if (r.wellFormed)
          Object.assign(r, {
            useSession: true,
            useCsrf: true,
            origin: 'http://localhost',
            fetchSite: 'same-origin',
            contentType: 'application/x-www-form-urlencoded',
          })
        if (r.useSession && stale) {
          await logIn()
          stale = false
        }
        const headers: Record<string, string> = { host: 'localhost' }
        const cookies = [
          r.useSession ? `taproom_session=${browser.cookies.get('taproom_session')}` : '',
          r.cookie ?? '',
        ]
        if (cookies.some(Boolean)) headers.cookie = cookies.filter(Boolean).join('; ')
        if (r.htmx) headers['hx-request'] = 'true'
        if (r.origin) headers.origin = r.origin
        if (r.fetchSite) headers['sec-fetch-site'] = r.fetchSite
        if (r.forwardedFor) headers['x-forwarded-for'] = r.forwardedFor
        if (r.useCsrf) headers['x-csrf-token'] = browser.csrfToken
        let body: string | undefined
        if (r.method !== 'GET' && r.method !== 'HEAD') {
          body = r.form.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('&')
          if (r.contentType) headers['content-type'] = r.contentType
        }
        const response = await t.app.request(r.path, { method: r.method, headers, body })
        await response.arrayBuffer()
        expect(response.status).toBeLessThan(500)
        if (r.method === 'POST' && response.status < 400) {
          accepted.add(r.path)
          if (/^\/(login|logout|signup|account)/.test(r.path)) stale = true
        }
      }),
      { numRuns: 2500 },
    )
    expect(t.errors).toEqual([])
    // Not only the front door (403/415/422): state-changing requests got through.
    expect(accepted.has('/beer')).toBe(true)
    expect(accepted.size).toBeGreaterThan(2)
    expect(keysTouched.size).toBeGreaterThan(0)
    for (const key of keysTouched) expect(key.startsWith(t.config.redis.prefix)).toBe(true)
    // The mail queue's own bookkeeping lives as long as the queue; its jobs are removed once sent.
    for (const key of await t.keys()) {
      if (isMailQueueBookkeeping(key, t.config.redis.prefix)) continue
      if ((await t.redis.type(key)) === 'hash') expect(await t.redis.pttl(key)).toBeGreaterThan(0)
    }
  }, 120_000)
})
