import { serialize } from 'hono/utils/cookie'

const MAX_COOKIE_HEADER = 8192

export type SessionCookie = {
  name: string
  /** Set-Cookie value carrying a session token. */
  set(value: string): string
  /** Set-Cookie value that removes the cookie. */
  clear(): string
}

/**
 * The session cookie: HttpOnly, SameSite=Lax, Path=/; with `secure` it is also
 * Secure and takes the `__Host-` prefix, so no subdomain or plain-HTTP page can
 * plant or overwrite it.
 */
export function sessionCookie({ secure, maxAgeSeconds }: { secure: boolean; maxAgeSeconds: number }): SessionCookie {
  const name = secure ? '__Host-taproom_session' : 'taproom_session'
  const base = { httpOnly: true, sameSite: 'Lax', path: '/', secure } as const
  return {
    name,
    set: (value) => serialize(name, value, { ...base, maxAge: maxAgeSeconds }),
    clear: () => serialize(name, '', { ...base, maxAge: 0, expires: new Date(0) }),
  }
}

/**
 * The one value of `name` in a Cookie header. A cookie sent twice (as planted
 * by a sibling subdomain or another path) is ambiguous, so it counts as absent.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > MAX_COOKIE_HEADER) return undefined
  let found: string | undefined
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    const eq = header.indexOf('=', start)
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      if (found !== undefined) return undefined
      found = header.slice(eq + 1, end).trim()
    }
    start = end + 1
  }
  return found
}
