import type { SessionData } from './fields.ts'

export type { SessionData, SignInMethod } from './fields.ts'

/** Names a session: its public ID and, once signed in, its user (whose keys it lives next to). */
export type SessionRef = { id: string; userId?: string }

/** What a new session is given; the store stamps its creation time. */
export type NewSessionData = Omit<SessionData, 'createdAt' | 'lastSeenAt'>

/** A session as read, with when it expires on the store's clock. */
export type StoredSession = SessionData & { id: string; expiresAt: number }

/** How long sessions live, given once to the store. */
export type Lifetimes = { idleMs: number; absoluteMs: number }

/** What a store is built with: the lifetimes, how many sessions one user may hold, this process's clock. */
export type StorePolicy = Lifetimes & { maxSessionsPerUser: number; localClock: () => number }

/** Builds a store for the policy the session layer was given (see createSessions). */
export type StoreFactory = (policy: StorePolicy) => SessionStore

export type TouchOptions = {
  /** Read the one-time flash message and remove it. */
  consumeFlash: boolean
  /** Count one more of this, atomically, before reading. */
  increment?: 'beers'
}

/**
 * 'replaced': a new session replaced this one moments ago (a sign-in, a
 * re-authentication) and the browser already holds, or is about to receive,
 * the new cookie: a request still carrying the old one must not start a
 * session of its own.
 */
export type TouchResult = { status: 'ok'; session: StoredSession } | { status: 'missing' | 'expired' | 'replaced' }

/** What take found: the session's data (null when there was none), or 'replaced' (see TouchResult). */
export type Taken = SessionData | null | 'replaced'

/** The sessions an ending ended, and when (the store's clock): the user's new valid-since time. */
export type EndedSessions = { ended: string[]; at: number }

export type SignInOptions = {
  ttlMs: number
  /** When the proof of identity began (store clock): refused if the user's sessions were ended since. */
  provedSince?: number
  /** End every other session of the user and move their valid-since time to now (a credential change). */
  endOthers: boolean
  /**
   * The proof time to store instead of the sign-in's own (0: none): after a
   * proof that was only part of what the user's sign-in takes.
   */
  keepProofAt?: number
}

/** A signed-in session as created, or 'stale' when the user's sessions were ended after its proof began. */
export type SignInResult = { createdAt: number; provedAt: number; ended: string[] } | 'stale'

/** Where a session and its user's index live, for the How it works page. */
export type StoreInspection = { sessionKey: string; index: { key: string; score: number | null } | null }

/**
 * What a session backend must implement, each call one atomic step on the
 * store's own clock. The session layer (sessions.ts) builds every operation
 * routes use on these.
 */
export interface SessionStore {
  /** The store's clock as this process estimates it (milliseconds, no round trip). */
  now(): number
  /** The store's clock read afresh (one round trip). */
  time(): Promise<number>
  /** Creates a visitor's session; returns its creation time. */
  create(id: string, data: NewSessionData, ttlMs: number): Promise<number>
  /** Creates a signed-in session and indexes it under its user, in one step. */
  signIn(ref: Required<SessionRef>, data: NewSessionData, options: SignInOptions): Promise<SignInResult>
  /** A page view: slides the idle expiry when due, counts, takes the flash. */
  touch(ref: SessionRef, options: TouchOptions): Promise<TouchResult>
  /** A plain read: extends, counts and consumes nothing. `now` is the store's clock when it ran. */
  read(ref: SessionRef): Promise<{ session: StoredSession | null; replaced: boolean; now: number }>
  /**
   * Reads and deletes at once: nothing written in between is lost or
   * resurrected. `replacing`: a new session takes this one's place, so its
   * key marks it replaced for a few seconds (see TouchResult).
   */
  take(ref: SessionRef, options?: { replacing?: boolean }): Promise<Taken>
  /** Sets fields only while the session exists. */
  update(ref: SessionRef, fields: Partial<SessionData>): Promise<boolean>
  /**
   * Moves a signed-in session to `newId` with all it holds, its absolute
   * deadline included, and its proof time set to now, marking the old ID
   * replaced (see TouchResult); false when it has ended.
   */
  renew(ref: Required<SessionRef>, newId: string): Promise<boolean>
  /** Ends these sessions of the user; returns those that existed. */
  end(userId: string, sessionIds: string[]): Promise<string[]>
  /**
   * Ends every session of the user, and records that no session or sign-in
   * begun before now is valid. Returns the IDs it ended and the store's time.
   * With `own` (the session of the request asking), nothing happens and null
   * is returned unless that session still exists: an ended session cannot end
   * the others; `keep` says whether it survives.
   */
  endAll(userId: string): Promise<EndedSessions>
  endAll(userId: string, own: { id: string; keep: boolean }): Promise<EndedSessions | null>
  /** The user's live sessions, pruning the index of those that are not. */
  list(userId: string): Promise<StoredSession[]>
  inspect(ref: SessionRef): Promise<StoreInspection>
}
