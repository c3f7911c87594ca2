import type { Context, MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { AppEnv } from '../app-env.ts'

/**
 * Serves a static path registered as a parameter: `/a/:action` with
 * onlyParam('action', 'b') answers `/a/b` alone, and any other value is the
 * app's 404. Hono's RegExpRouter cannot hold a static segment beside a
 * parameter that goes on (`/a/b` beside `/a/:id/c`), and one such route puts
 * every request of the app on the slower TrieRouter.
 *
 * Logs name the path as if it had been registered as such (see routeOf).
 */
export function onlyParam(name: string, value: string): MiddlewareHandler<AppEnv> {
  return async function onlyParamMiddleware(c, next) {
    if (c.req.param(name) !== value) {
      // Logged as any request that no route answers.
      c.set('route', '/*')
      return c.notFound()
    }
    c.set('route', routePath(c).replace(`:${name}`, value))
    await next()
  }
}

/** The route pattern a request matched, for logs: never the URL, which could hold a token. */
export function routeOf(c: Context<AppEnv>): string {
  return c.get('route') ?? routePath(c, -1)
}
