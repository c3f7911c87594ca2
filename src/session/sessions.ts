import type { MiddlewareHandler } from 'hono'
import { readCookie, sessionCookie } from './cookie.ts'
import { RequestSession } from './request-session.ts'
import type { StoredSession, StoreFactory, StoreInspection } from './store.ts'
import { SessionTokens } from './token.ts'

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
  /** Secure, `__Host-` cookies. */
  cookieSecure?: boolean
  now?: () => number
}

/** What the How it works page shows about one session. */
export type Inspection = StoreInspection & { session: StoredSession; idleSeconds: number; absoluteSeconds: number }

export type Sessions = {
  /** Gives every request a typed, lazy `session` (see RequestSession). */
  middleware: MiddlewareHandler<{ Variables: SessionVariables }>
  cookieName: string
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
  /** Ends every session of the user except `keepId`; returns the IDs it ended. */
  revokeOthers(userId: string, keepId: string | null): Promise<string[]>
  /** Ends every session of the user; returns the IDs it ended. */
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
  cookieSecure = false,
  now = Date.now,
}: SessionsOptions): Sessions {
  const lifetimes = { idleMs: idleSeconds * 1000, absoluteMs: absoluteSeconds * 1000 }
  const store = storeFor({ ...lifetimes, maxSessionsPerUser })
  const tokens = new SessionTokens(secrets)
  const cookie = sessionCookie({ secure: cookieSecure, maxAgeSeconds: absoluteSeconds })
  const parts = { store, tokens, cookie, lifetimes, now }

  // A session ID belongs to one user for its whole life: signing in makes a
  // new ID and logging out ends the session, so "this ID holds this user" stays
  // true until the session ends. That is what lets the ownership check and the
  // delete in revoke be two steps.
  async function revokeOthers(userId: string, keepId: string | null): Promise<string[]> {
    const others = (await store.list(userId, now())).map((session) => session.id).filter((id) => id !== keepId)
    await store.end(userId, others)
    return others
  }

  return {
    middleware: function sessionMiddleware(c, next) {
      const credentials = tokens.verify(readCookie(c.req.header('cookie'), cookie.name))
      const setCookie = (header: string) => c.header('Set-Cookie', header, { append: true })
      c.set('session', new RequestSession(parts, credentials, setCookie))
      return next()
    },
    cookieName: cookie.name,
    idleSeconds,
    absoluteSeconds,
    async list(userId, currentId) {
      const sessions = await store.list(userId, now())
      return sessions.sort(
        (a, b) => Number(b.id === currentId) - Number(a.id === currentId) || b.lastSeenAt - a.lastSeenAt,
      )
    },
    async revoke(userId, sessionId) {
      const found = await store.read({ id: sessionId, userId }, now())
      if (found?.userId !== userId) return false
      await store.end(userId, [sessionId])
      return true
    },
    revokeOthers,
    endAll: (userId) => revokeOthers(userId, null),
    async inspect(session) {
      const where = await store.inspect({ id: session.id, userId: session.userId })
      return { ...where, session, idleSeconds, absoluteSeconds }
    },
  }
}
