import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../app-env.ts'
import { readForm } from './form.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Every state-changing request must carry the session's CSRF token (header
 * X-CSRF-Token, or form field _csrf). Before that, requests a browser marks as
 * cross-site (Sec-Fetch-Site, Origin) are refused outright; browsers that send
 * neither header still need the token.
 *
 * An Origin must be exactly the app's: `appOrigin` (APP_URL) when configured,
 * else the origin the request was made to (its scheme and Host). Scheme, host
 * and port all count, userinfo is refused, and X-Forwarded-Host is never read:
 * a proxy that did not set it would let the client choose it. One exception:
 * a form on a page sent with `Referrer-Policy: no-referrer` (the pages that
 * carry a mailed token) is posted with `Origin: null`, as the Fetch standard
 * says, so `null` passes when Sec-Fetch-Site, which no page can set, says
 * same-origin. The token is checked all the same.
 */
export function csrfProtection({ appOrigin }: { appOrigin?: string }): MiddlewareHandler<AppEnv> {
  return async function csrfMiddleware(c, next) {
    if (SAFE_METHODS.has(c.req.method)) return next()
    const fetchSite = c.req.header('sec-fetch-site')
    if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none')
      refuse('Cross-site requests are not accepted.')
    const origin = c.req.header('origin')
    if (
      origin !== undefined &&
      !(origin === 'null' && fetchSite === 'same-origin') &&
      originOf(origin) !== (appOrigin ?? originOf(c.req.url))
    ) {
      refuse('Cross-site requests are not accepted.')
    }
    let token = c.req.header('x-csrf-token')
    if (token === undefined) {
      const field = (await readForm(c))._csrf
      token = typeof field === 'string' ? field : undefined
    }
    const session = c.get('session')
    if (!session.verifyCsrf(token) && !(await session.verifyRenewedCsrf(token))) {
      // Tells public/app.js the token was stale (another tab logged in or
      // out): it refreshes the token instead of showing this as a failure.
      c.header('X-CSRF-Refused', 'token')
      refuse('Your form has expired or did not come from this site. Reload the page and try again.')
    }
    await next()
  }
}

function refuse(message: string): never {
  throw new HTTPException(403, { message })
}

/** scheme://host[:port] of a URL (default ports dropped, lower-cased); null for anything with userinfo or unparseable. */
function originOf(value: string): string | null {
  try {
    const url = new URL(value)
    if (url.username || url.password || value.includes('@')) return null
    return url.origin === 'null' ? null : url.origin
  } catch {
    return null
  }
}
