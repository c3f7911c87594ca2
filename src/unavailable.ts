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

/** The server is not reachable yet, is restarting or is full: worth waiting out. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
])

/** The server answers but turns us away: waiting will not help, though a request still gets a 503. */
const MISCONFIGURED_CODES = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_NO_SUCH_TABLE'])

function hasCode(error: unknown, codes: Set<string>): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string' && codes.has(e.code)) return true
  }
  return false
}

/**
 * Whether a startup step failed for a reason that goes away by waiting (the
 * server is not up yet). Anything else (a wrong password, a failing migration)
 * ends startup at once.
 */
export function isTransient(error: unknown): boolean {
  return hasCode(error, TRANSIENT_CODES)
}

/** Whether a MySQL error means the database cannot be reached, rather than a bad query. */
export function isDatabaseDown(error: unknown): boolean {
  if (hasCode(error, TRANSIENT_CODES) || hasCode(error, MISCONFIGURED_CODES)) return true
  for (let e = error as { code?: string; fatal?: boolean; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.fatal) return true
    if (e.code === undefined && /connect|closed|timeout|Queue limit/i.test(String((e as Error).message))) return true
  }
  return false
}
