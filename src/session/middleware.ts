import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env.ts'
import { readCookie } from './cookie.ts'
import { RequestSession, type SessionContext } from './request-session.ts'

/**
 * Gives every request a typed, lazy `session`. Only the cookie's format and
 * signature are checked here; Redis is asked only when a handler needs the
 * session, so static files and health checks cost nothing.
 */
export function session(ctx: SessionContext): MiddlewareHandler<AppEnv> {
  return function sessionMiddleware(c, next) {
    const credentials = ctx.tokens.verify(readCookie(c.req.header('cookie'), ctx.cookie.name))
    const setCookie = (header: string) => c.header('Set-Cookie', header, { append: true })
    c.set('session', new RequestSession(ctx, credentials, setCookie))
    return next()
  }
}
