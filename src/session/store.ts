import type { SessionData } from './fields.ts'

export type { SessionData, SignInMethod } from './fields.ts'

/** Names a session: its public ID and, once signed in, its user (the store may place a user's sessions together). */
export type SessionRef = { id: string; userId?: string }

export type StoredSession = SessionData & { id: string; expiresAt: number }

/** How long sessions live, given once to the store. */
export type Lifetimes = { idleMs: number; absoluteMs: number }

/** What a store is built with: the lifetimes and how many sessions one user may hold. */
export type StorePolicy = Lifetimes & { maxSessionsPerUser: number }

/** Builds a store for the policy the session layer was given (see createSessions). */
export type StoreFactory = (policy: StorePolicy) => SessionStore

export type TouchOptions = {
  now: number
  /** Read the one-time flash message and remove it. */
  consumeFlash: boolean
  /** Count one more of this, atomically, before reading. */
  increment?: 'beers'
}

export type TouchResult = { status: 'ok'; session: StoredSession } | { status: 'missing' | 'expired' }

/** Where a session and its user's index live, for the How it works page. */
export type StoreInspection = { sessionKey: string; index: { key: string; score: number | null } | null }

/**
 * What a session backend must implement, each call one atomic step. The
 * session layer (sessions.ts) builds every operation routes use on these.
 */
export interface SessionStore {
  create(ref: SessionRef, data: SessionData, ttlMs: number): Promise<void>
  /** A page view: slides the idle expiry when due, counts, takes the flash. */
  touch(ref: SessionRef, options: TouchOptions): Promise<TouchResult>
  /** A plain read: extends, counts and consumes nothing. */
  read(ref: SessionRef, now: number): Promise<StoredSession | null>
  /** Reads and deletes at once: nothing written in between is lost or resurrected. */
  take(ref: SessionRef): Promise<SessionData | null>
  /** Sets fields only while the session exists. */
  update(ref: SessionRef, fields: Partial<SessionData>): Promise<boolean>
  /** Records a session in its user's index; returns IDs evicted to keep the index bounded (their sessions are ended). */
  index(userId: string, sessionId: string, createdAt: number, now: number): Promise<string[]>
  /** Ends these sessions of the user and drops them from the index. */
  end(userId: string, sessionIds: string[]): Promise<void>
  /** Deletes one session that no index names. */
  discard(ref: SessionRef): Promise<void>
  /** The user's sessions that still exist, pruning the index of those that do not. */
  list(userId: string, now: number): Promise<StoredSession[]>
  inspect(ref: SessionRef): Promise<StoreInspection>
}
