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

/** A session cookie as read from the request: its value (if any), or why it cannot be used. */
export type CookieRead = { value: string | undefined } | { problem: string }

export const TOO_MANY_COOKIES =
  "Your browser sent more than 8 KB of cookies to this site. Clear this site's cookies, then reload the page."
export const TWO_SESSION_COOKIES =
  "Your browser sent two session cookies to this site (another site on the same domain can set one). Clear this site's cookies, then reload the page."

/**
 * The one value of `name` in a Cookie header. A header over 8 KB, or a
 * cookie sent twice (as planted by a sibling subdomain or another path), is
 * a problem to show the user rather than a reason to log them out silently.
 */
export function readCookie(header: string | undefined, name: string): CookieRead {
  if (!header) return { value: undefined }
  if (header.length > MAX_COOKIE_HEADER) return { problem: TOO_MANY_COOKIES }
  let found: string | undefined
  let start = 0
  while (start < header.length) {
    let end = header.indexOf(';', start)
    if (end === -1) end = header.length
    const eq = header.indexOf('=', start)
    if (eq !== -1 && eq < end && header.slice(start, eq).trim() === name) {
      if (found !== undefined) return { problem: TWO_SESSION_COOKIES }
      found = header.slice(eq + 1, end).trim()
    }
    start = end + 1
  }
  return { value: found }
}
