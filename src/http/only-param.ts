import type { MiddlewareHandler } from 'hono'

/** Lets a request through only when its route parameter `name` is `value`; any other value is a 404. */
export function onlyParam(name: string, value: string): MiddlewareHandler {
  return async function onlyParamMiddleware(c, next) {
    if (c.req.param(name) !== value) return c.notFound()
    await next()
  }
}
