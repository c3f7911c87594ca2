/** A backing service (Redis or MySQL) did not answer; the request gets a 503, not a 500. */
export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError'
  readonly service: 'redis' | 'database'

  constructor(service: 'redis' | 'database', cause: unknown) {
    super(`${service} unavailable: ${(cause as Error)?.message ?? String(cause)}`, { cause })
    this.service = service
  }
}

/** Runs a Redis call, turning any failure of it into ServiceUnavailableError. */
export async function viaRedis<T>(call: Promise<T>): Promise<T> {
  try {
    return await call
  } catch (error) {
    throw new ServiceUnavailableError('redis', error)
  }
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_NO_SUCH_TABLE',
])

/** Whether a MySQL error means the database cannot be reached, rather than a bad query. */
export function isDatabaseDown(error: unknown): boolean {
  for (let e = error as { code?: string; fatal?: boolean; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.fatal || (e.code && CONNECTION_CODES.has(e.code))) return true
    if (e.code === undefined && /connect|closed|timeout|Queue limit/i.test(String((e as Error).message))) return true
  }
  return false
}
