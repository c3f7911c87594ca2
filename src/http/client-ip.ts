import { isIP } from 'node:net'
import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env.ts'
import { canonicalIp } from '../ip.ts'

export type SocketAddress = (c: Context) => string | undefined

/**
 * Sets `clientIp`: the socket's address, or with `trustProxy` the last entry of
 * X-Forwarded-For. That assumes exactly one proxy in front that appends the
 * address it saw; every earlier entry can be forged by the client.
 *
 * It is worked out on first use: most requests (a returning page view, a pour)
 * never need it, and asking the server for a socket's address costs more than
 * the rest of this middleware chain together.
 */
export function clientIp({
  trustProxy,
  socketAddress,
}: {
  trustProxy: boolean
  socketAddress: SocketAddress
}): MiddlewareHandler<AppEnv> {
  return function clientIpMiddleware(c, next) {
    let known: string | undefined
    c.set('clientIp', () => {
      known ??= addressOf(c, trustProxy, socketAddress)
      return known
    })
    return next()
  }
}

/** The client's address of a request that passed through `clientIp`. */
export function clientIpOf(c: Context<AppEnv>): string {
  return c.get('clientIp')()
}

function addressOf(c: Context, trustProxy: boolean, socketAddress: SocketAddress): string {
  if (trustProxy) {
    const forwarded = canonicalIp(lastEntry(c.req.header('x-forwarded-for')))
    if (forwarded && isIP(forwarded)) return forwarded
  }
  return canonicalIp(safe(() => socketAddress(c))) ?? 'unknown'
}

function safe<T>(read: () => T): T | undefined {
  try {
    return read()
  } catch {
    return undefined
  }
}

/**
 * The last entry of a comma-separated forwarding header: the one our proxy
 * added. Earlier entries come from the client and may be anything.
 */
function lastEntry(header: string | undefined): string | undefined {
  return header?.split(',').at(-1)?.trim() || undefined
}
