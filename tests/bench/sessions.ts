import { writeFileSync } from 'node:fs'

export type SessionPair = { cookie: string; csrf: string }

/** How a server names its session cookie, and whether its pages carry a CSRF token. */
export type SessionShape = { cookieName: RegExp; csrf: boolean }

/** The app's: a `…_session` cookie and a csrf-token meta tag. */
export const APP_SESSION: SessionShape = { cookieName: /_session$/, csrf: true }

/** The tutorial's: `_redisDemo`, and no CSRF protection at all. */
export const PEER_SESSION: SessionShape = { cookieName: /^_redisDemo$/, csrf: false }

// The load script needs a token on every line; a server without CSRF ignores it.
const NO_CSRF = 'none'

/** Opens one session the way a browser does (GET /) and reads its cookie and CSRF token. */
export async function openSession(baseUrl: string, shape: SessionShape = APP_SESSION): Promise<SessionPair> {
  const response = await fetch(`${baseUrl}/`)
  const html = await response.text()
  const cookie = response.headers
    .getSetCookie()
    .map((header) => header.split(';')[0]!)
    .find((pair) => shape.cookieName.test(pair.split('=')[0]!))
  const csrf = shape.csrf ? html.match(/<meta name="csrf-token" content="([^"]+)"/)?.[1] : NO_CSRF
  if (response.status !== 200 || !cookie || !csrf) throw new Error(`GET / gave no session (status ${response.status})`)
  return { cookie, csrf }
}

/** `count` fresh sessions, written one "cookie token" per line to `file` for the load generator. */
export async function sessionPool(
  baseUrl: string,
  count: number,
  file: string,
  shape: SessionShape = APP_SESSION,
): Promise<SessionPair[]> {
  const pairs: SessionPair[] = []
  for (let i = 0; i < count; i += 20) {
    pairs.push(
      ...(await Promise.all(Array.from({ length: Math.min(20, count - i) }, () => openSession(baseUrl, shape)))),
    )
  }
  writeFileSync(file, pairs.map(({ cookie, csrf }) => `${cookie} ${csrf}\n`).join(''))
  return pairs
}

/** Sends `total` requests with at most `concurrency` in flight, failing on any unexpected status. */
export async function sendMany(
  total: number,
  concurrency: number,
  send: (i: number) => Promise<Response>,
  expect = (status: number) => status < 400,
): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        const response = await send(next++)
        await response.arrayBuffer()
        if (!expect(response.status)) throw new Error(`unexpected status ${response.status}`)
      }
    }),
  )
}
