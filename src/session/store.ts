/** What a session holds. Field names are kept short in Redis to keep small hashes small. */
export type SessionData = {
  createdAt: number
  lastSeenAt: number
  beers: number
  userId?: string
  email?: string
  device?: string
  ip?: string
  flash?: string
  /** When the user last proved who they are in this session (sign-in or re-authentication). */
  provedAt?: number
}

export type StoredSession = SessionData & { id: string; expiresAt: number }

export type TouchOptions = {
  now: number
  /** Slide the idle expiry (a page view); false for reads that are not activity. */
  extend: boolean
  /** Read the one-time flash message and remove it. */
  consumeFlash: boolean
  /** Count one more of this, atomically, before reading. */
  increment?: 'beers'
}

export type TouchResult = { status: 'ok'; session: StoredSession } | { status: 'missing' | 'expired' }

/**
 * The storage seam of the session layer: everything the middleware needs, each
 * call one atomic step.
 */
export interface SessionStore {
  create(id: string, data: SessionData, ttlMs: number): Promise<void>
  touch(id: string, options: TouchOptions): Promise<TouchResult>
  /** Reads and deletes at once: nothing written in between is lost or resurrected. */
  take(id: string): Promise<SessionData | null>
  /** Sets fields only while the session exists. */
  update(id: string, fields: Partial<SessionData>): Promise<boolean>
  delete(ids: string[]): Promise<void>
  /** Records a session in its user's index; returns IDs evicted to keep the index bounded. */
  indexAdd(userId: string, sessionId: string, deadline: number, now: number): Promise<string[]>
  indexRemove(userId: string, sessionIds: string[]): Promise<void>
  /** The user's sessions that still exist, pruning the index of those that do not. */
  listForUser(userId: string, now: number): Promise<StoredSession[]>
  /** A session's entry in its user's index: the absolute deadline it is scored by, or null. */
  indexEntry(userId: string, sessionId: string): Promise<number | null>
  /** Where a session lives, named by its public ID: safe to show. */
  sessionKey(id: string): string
  indexKey(userId: string): string
}

export const FIELD_NAMES = {
  createdAt: 'c',
  lastSeenAt: 'l',
  beers: 'b',
  userId: 'u',
  email: 'm',
  device: 'd',
  ip: 'ip',
  flash: 'f',
  provedAt: 'p',
} as const satisfies Record<keyof SessionData, string>

/** Flattens session data into the hash's field/value pairs. */
export function encodeFields(data: Partial<SessionData>): string[] {
  const pairs: string[] = []
  for (const [key, field] of Object.entries(FIELD_NAMES)) {
    const value = data[key as keyof SessionData]
    if (value === undefined) continue
    if (key === 'lastSeenAt' && value === data.createdAt) continue
    if (key === 'beers' && value === 0) continue
    pairs.push(field, String(value))
  }
  return pairs
}

/** Reads the hash's field/value pairs back into session data. */
export function decodeFields(pairs: readonly string[]): SessionData {
  const raw: Record<string, string> = {}
  for (let i = 0; i + 1 < pairs.length; i += 2) raw[pairs[i]!] = pairs[i + 1]!
  const createdAt = Number(raw.c)
  return {
    createdAt,
    lastSeenAt: raw.l ? Number(raw.l) : createdAt,
    beers: raw.b ? Number(raw.b) : 0,
    userId: raw.u,
    email: raw.m,
    device: raw.d,
    ip: raw.ip,
    flash: raw.f,
    provedAt: raw.p ? Number(raw.p) : undefined,
  }
}
