import type { Env, MiddlewareHandler } from 'hono'

/**
 * Runs middleware in order as one layer of the app's chain. Each layer Hono
 * composes costs every request an async dispatch and its promise (about a
 * microsecond here); middleware that only set headers and variables before
 * calling next need no layer each.
 *
 * Only for middleware that never throw and never answer in place of next().
 * Such an answer is lost unless every earlier one returns it, and Hono then
 * answers a bare 500 ("Context is not finalized") past the app's error page.
 * An error thrown here would pass through the earlier middleware of this
 * layer before Hono turned it into an error page (an access line would be
 * written before the page existed); errors from the layers after this one are
 * caught there, as before.
 */
export function oneLayer<E extends Env>(...middleware: MiddlewareHandler<E>[]): MiddlewareHandler<E> {
  return function oneLayerMiddleware(c, next) {
    let index = 0
    const step = (): Promise<void> => {
      const current = middleware[index++]
      return current ? (current(c, step) as Promise<void>) : next()
    }
    return step()
  }
}
