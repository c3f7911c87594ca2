/** A backing service (Redis or MySQL) did not answer; the request gets a 503, not a 500. */
export class ServiceUnavailableError extends Error {
  override name = 'ServiceUnavailableError'
  readonly service: 'redis' | 'database'

  /** The error codes along the cause chain (ECONNREFUSED, OOM, ER_…), for logs. */
  readonly codes: string[]

  /*
   * The message holds our words and the codes only: a driver's message may
   * repeat the query and its parameters (an email, a password hash).
   */
  constructor(service: 'redis' | 'database', cause: unknown) {
    const codes = errorCodes(cause)
    super(`${service} unavailable${codes.length > 0 ? ` (${codes.join(', ')})` : ''}`, { cause })
    this.service = service
    this.codes = codes
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

/**
 * The codes along an error's cause chain: Node's (ECONNREFUSED), MySQL's
 * (ER_ACCESS_DENIED_ERROR), and Redis's refusal word (OOM, READONLY, NOSCRIPT)
 * from the start of a reply error's message.
 */
export function errorCodes(error: unknown): string[] {
  const codes: string[] = []
  for (
    let e = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && typeof e === 'object' && depth < 8;
    depth++, e = e.cause as typeof e
  ) {
    if (typeof e.code === 'string') codes.push(e.code)
    else if (e.name === 'ReplyError' && typeof e.message === 'string') {
      const word = /^[A-Z]{2,20}\b/.exec(e.message)?.[0]
      if (word) codes.push(word)
    } else if (typeof e.message === 'string' && /timed? ?out/i.test(e.message)) codes.push('TIMEOUT')
  }
  return codes
}
