import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env.ts'
import { type Logger, preformattedInfo } from '../log.ts'
import { routeOf } from './only-param.ts'

/** A client's own request id, kept beside ours only when it is short and plain (so it needs no JSON escaping). */
const CLIENT_REQUEST_ID = /^[\w.:-]{1,64}$/

/**
 * Gives every request our own id (`requestId`, answered as X-Request-Id and
 * shown on error pages), and writes one info line per request: method, the route it matched (its pattern, so a
 * token in a URL never reaches the log), status and duration, under our own
 * request id. A client's X-Request-Id is kept separately as clientRequestId,
 * so no client can make its lines pass for another request's.
 */
export function accessLog(logger: Logger): MiddlewareHandler<AppEnv> {
  const writeAccessLine = preformattedInfo(logger, 'request')
  return async function accessLogMiddleware(c, next) {
    const requestId = crypto.randomUUID()
    c.set('requestId', requestId)
    c.header('X-Request-Id', requestId)
    if (!logger.isLevelEnabled('info')) return next()
    const started = performance.now()
    try {
      await next()
    } finally {
      writeAccessLine(
        accessFields({
          requestId,
          clientRequestId: c.req.header('x-request-id'),
          method: c.req.method,
          route: routeOf(c),
          status: c.res.status,
          ms: Math.round((performance.now() - started) * 10) / 10,
        }),
      )
    }
  }
}

export type AccessFields = {
  requestId: string
  clientRequestId: string | undefined
  method: string
  route: string
  status: number
  ms: number
}

/**
 * An access line's fields as JSON, in the order and form pino writes
 * `{ type: 'access', ...fields }` (a clientRequestId that is not plain is left
 * out). Our request id is a UUID and needs no escaping.
 */
export function accessFields({ requestId, clientRequestId, method, route, status, ms }: AccessFields): string {
  const client =
    clientRequestId && CLIENT_REQUEST_ID.test(clientRequestId) ? `"clientRequestId":"${clientRequestId}",` : ''
  return `"type":"access","requestId":"${requestId}",${client}"method":${JSON.stringify(method)},"route":${JSON.stringify(route)},"status":${status},"ms":${ms}`
}
