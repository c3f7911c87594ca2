import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../app-env.ts'
import { lastEntry } from './client-ip.ts'
import { readForm } from './form.ts'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Every state-changing request must carry the session's CSRF token (header
 * X-CSRF-Token, or form field _csrf). Before that, requests a browser marks as
 * cross-site (Sec-Fetch-Site, Origin) are refused outright; browsers that send
 * neither header still need the token.
 */
export function csrfProtection({ trustProxy }: { trustProxy: boolean }): MiddlewareHandler<AppEnv> {
  return async function csrfMiddleware(c, next) {
    if (SAFE_METHODS.has(c.req.method)) return next()
    const fetchSite = c.req.header('sec-fetch-site')
    if (fetchSite && fetchSite !== 'same-origin' && fetchSite !== 'none')
      refuse('Cross-site requests are not accepted.')
    const origin = c.req.header('origin')
    if (origin !== undefined) {
      const host = (trustProxy && lastEntry(c.req.header('x-forwarded-host'))) || c.req.header('host')
      if (!host || hostOf(origin) !== host.toLowerCase()) refuse('Cross-site requests are not accepted.')
    }
    let token = c.req.header('x-csrf-token')
    if (token === undefined) {
      const field = (await readForm(c))._csrf
      token = typeof field === 'string' ? field : undefined
    }
    if (!c.get('session').verifyCsrf(token)) {
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

function hostOf(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase()
  } catch {
    return null
  }
}
