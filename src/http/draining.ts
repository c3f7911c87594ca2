import type { MiddlewareHandler } from 'hono'
import type { Lifecycle } from '../lifecycle.ts'

/**
 * Once the process is shutting down, every answer says `Connection: close`:
 * a keep-alive client then opens its next connection elsewhere (to another
 * instance) instead of sending it down one this process is about to close,
 * which it would see as a reset.
 */
export function closeWhenDraining(lifecycle: Lifecycle): MiddlewareHandler {
  return function closeWhenDrainingMiddleware(c, next) {
    if (lifecycle.draining) c.header('Connection', 'close')
    return next()
  }
}
