import type { RequestSession, SessionStart } from './request-session.ts'
import type { SessionStore, StoredSession } from './store.ts'

/*
 * A session ID belongs to one user for its whole life: logging in (or changing
 * the password) makes a new ID and logging out ends the session, so "this ID
 * holds this user" stays true until the session ends. That is what lets the ownership
 * check and the delete below be two steps.
 */

/** The user's live sessions, the one viewing the page first, then the most recently active. */
export async function listUserSessions(
  store: SessionStore,
  userId: string,
  currentId: string | null,
  now: number,
): Promise<StoredSession[]> {
  const sessions = await store.listForUser(userId, now)
  return sessions.sort((a, b) => Number(b.id === currentId) - Number(a.id === currentId) || b.lastSeenAt - a.lastSeenAt)
}

/**
 * Ends one of the user's sessions. False when the ID is not a live session of
 * this user (another user's, ended, or made up): the caller answers 404 for
 * all of them alike, so nothing tells another user's session from none.
 */
export async function revokeUserSession(
  store: SessionStore,
  userId: string,
  sessionId: string,
  now: number,
): Promise<boolean> {
  const found = await store.touch(sessionId, { now, extend: false, consumeFlash: false })
  if (found.status !== 'ok' || found.session.userId !== userId) return false
  await Promise.all([store.delete([sessionId]), store.indexRemove(userId, [sessionId])])
  return true
}

/** Ends every session of the user except `keepId`; returns the IDs it ended. */
export async function revokeOtherSessions(
  store: SessionStore,
  userId: string,
  keepId: string | null,
  now: number,
): Promise<string[]> {
  const others = (await store.listForUser(userId, now)).map((session) => session.id).filter((id) => id !== keepId)
  if (others.length > 0) await Promise.all([store.delete(others), store.indexRemove(userId, others)])
  return others
}

/**
 * After a password change: this browser gets a new session (new token, new
 * ID), and every other session of the user ends. The others are ended after
 * the new session exists, so a login that finished before this point is ended
 * too; a login still running in the same instant can survive (see README).
 */
export async function restartSessionsAfterPasswordChange(
  store: SessionStore,
  session: RequestSession,
  start: SessionStart & { userId: string },
  now: () => number,
): Promise<{ current: StoredSession; ended: string[] }> {
  const current = await session.regenerate(start)
  const ended = await revokeOtherSessions(store, start.userId, current.id, now())
  return { current, ended }
}
