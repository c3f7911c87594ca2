import type { MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { readCookie, sessionCookie } from './cookie.ts'
import { NewVisitorLimit } from './new-visitor-limit.ts'
import { RequestSession } from './request-session.ts'
import type { StoredSession, StoreFactory, StoreInspection } from './store.ts'
import { SessionTokens } from './token.ts'

const COOKIE_GRACE_SECONDS = 3600

/** The context variables the session middleware provides; the app's own env type composes them. */
export type SessionVariables = { session: RequestSession }

export type SessionsOptions = {
  /** The backend, e.g. redisSessionStore(redis, { prefix }). */
  store: StoreFactory
  /** The first signs new cookies and CSRF tokens; all are accepted. */
  secrets: readonly string[]
  idleSeconds?: number
  absoluteSeconds?: number
  maxSessionsPerUser?: number
  /** How long a visitor's new session lives until the browser returns its cookie. */
  firstVisitSeconds?: number
  /** New sessions one client network may start per minute (per app instance). */
  newSessionsPerMinute?: number
  /** The network a client address counts under (e.g. an IPv6 /64); the address itself by default. */
  networkOf?: (ip: string) => string
  /** Secure, `__Host-` cookies. */
  cookieSecure?: boolean
  /** This process's clock; the store's clock (Redis TIME) decides every expiry, this only helps estimate it. */
  localClock?: () => number
}

/** What the How it works page shows about one session. */
export type Inspection = StoreInspection & { session: StoredSession; idleSeconds: number; absoluteSeconds: number }

export type Sessions = {
  /** Gives every request a typed, lazy `session` (see RequestSession); reads `clientIp` when an earlier middleware set it. */
  middleware: MiddlewareHandler<{ Variables: SessionVariables & { clientIp?: () => string } }>
  cookieName: string
  /** The store's clock (Redis TIME) as this process estimates it: the one clock for showing times and deadlines. */
  now(): number
  idleSeconds: number
  absoluteSeconds: number
  /** The user's live sessions, `currentId` first, then the most recently active. */
  list(userId: string, currentId: string | null): Promise<StoredSession[]>
  /**
   * Ends one of the user's sessions. False when the ID is not a live session of
   * this user (another user's, ended, or made up): the caller answers alike for
   * all of them, so nothing tells another user's session from none.
   */
  revoke(userId: string, sessionId: string): Promise<boolean>
  /** Ends every session of the user and every sign-in in flight (reset, deletion); returns the IDs it ended. */
  endAll(userId: string): Promise<string[]>
  /** Where the session lives in the store, for showing it (a read: nothing is extended). */
  inspect(session: StoredSession): Promise<Inspection>
}

/**
 * The session layer's one front door: the middleware and the named operations
 * routes need. Lifetimes and the clock are given here once; routes never reach
 * the store underneath.
 */
export function createSessions({
  store: storeFor,
  secrets,
  idleSeconds = 1800,
  absoluteSeconds = 43_200,
  maxSessionsPerUser = 50,
  firstVisitSeconds = 300,
  newSessionsPerMinute = 60,
  networkOf = (ip) => ip,
  cookieSecure = false,
  localClock = Date.now,
}: SessionsOptions): Sessions {
  const lifetimes = { idleMs: idleSeconds * 1000, absoluteMs: absoluteSeconds * 1000 }
  const store = storeFor({ ...lifetimes, maxSessionsPerUser, localClock })
  const tokens = new SessionTokens(secrets)
  // The cookie outlives the session's absolute deadline, so the first request
  // after any expiry still names the ended session and can say so.
  const cookie = sessionCookie({ secure: cookieSecure, maxAgeSeconds: absoluteSeconds + COOKIE_GRACE_SECONDS })
  const parts = { store, tokens, cookie, lifetimes, firstVisitMs: firstVisitSeconds * 1000 }
  const newVisitors = new NewVisitorLimit(newSessionsPerMinute, localClock)

  return {
    middleware: function sessionMiddleware(c, next) {
      const read = readCookie(c.req.header('cookie'), cookie.name)
      if ('problem' in read) throw new HTTPException(400, { message: read.problem })
      const credentials = tokens.verify(read.value)
      const setCookie = (header: string) => c.header('Set-Cookie', header, { append: true })
      const admitNewVisitor = () => newVisitors.admit(networkOf(c.get('clientIp')?.() ?? 'unknown'))
      c.set('session', new RequestSession(parts, credentials, setCookie, admitNewVisitor))
      return next()
    },
    cookieName: cookie.name,
    now: () => store.now(),
    idleSeconds,
    absoluteSeconds,
    async list(userId, currentId) {
      const sessions = await store.list(userId)
      return sessions.sort(
        (a, b) => Number(b.id === currentId) - Number(a.id === currentId) || b.lastSeenAt - a.lastSeenAt,
      )
    },
    // A signed-in session's key names its user, so only that user's own
    // sessions can be found (and ended) this way.
    async revoke(userId, sessionId) {
      return (await store.end(userId, [sessionId])).length > 0
    },
    endAll: async (userId) => (await store.endAll(userId)).ended,
    async inspect(session) {
      const where = await store.inspect({ id: session.id, userId: session.userId })
      return { ...where, session, idleSeconds, absoluteSeconds }
    },
  }
}
