/** How the user proved who they are when this session signed in. */
export type SignInMethod = 'password' | 'password+app' | 'passkey' | 'recovery-code' | 'email-link'

/** What a session holds. */
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
  method?: SignInMethod
  /** When this session was kept while every other session of its user ended ("log out everywhere else"). */
  retainedAt?: number
  /** The ID this session had before its last re-authentication gave it a new one: that ID's CSRF token still holds. */
  renewedFrom?: string
  /** A sign-in waiting for its second step: the user whose password was right, signed in to nothing yet. */
  pendingUserId?: string
  /** When that second step must be done by. */
  pendingUntil?: number
  /** Where that sign-in goes once its second step is done: a path on this site, the login's `next`. */
  pendingNext?: string
}

/**
 * The one definition of the stored field names: the Lua scripts, the codec
 * below and the How it works page all read them from here. They are one or two
 * letters to keep small hashes small.
 */
export const FIELDS = {
  createdAt: 'c',
  lastSeenAt: 'l',
  beers: 'b',
  userId: 'u',
  email: 'm',
  device: 'd',
  ip: 'ip',
  flash: 'f',
  provedAt: 'p',
  method: 'k',
  retainedAt: 'r',
  renewedFrom: 'rf',
  pendingUserId: 'pu',
  pendingUntil: 'pt',
  pendingNext: 'pn',
} as const satisfies Record<keyof SessionData, string>

export type FieldName = (typeof FIELDS)[keyof SessionData]

/**
 * The one field of what a session's key holds for a few seconds after a new
 * session replaced it (a sign-in, a re-authentication): the marker that tells
 * a request still in flight with the old cookie apart from a visitor whose
 * session has ended (see scripts.ts). Not one of FIELDS.
 */
export const REPLACED_MARK = 'x'

const FIELD_ENTRIES = Object.entries(FIELDS)

/** Flattens session data into the hash's field/value pairs, leaving out what the defaults give back. */
export function encodeFields(data: Partial<SessionData>): string[] {
  const pairs: string[] = []
  for (const [key, field] of FIELD_ENTRIES) {
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
  const createdAt = Number(raw[FIELDS.createdAt])
  const lastSeen = raw[FIELDS.lastSeenAt]
  const beers = raw[FIELDS.beers]
  const provedAt = raw[FIELDS.provedAt]
  const retainedAt = raw[FIELDS.retainedAt]
  const pendingUntil = raw[FIELDS.pendingUntil]
  return {
    createdAt,
    lastSeenAt: lastSeen ? Number(lastSeen) : createdAt,
    beers: beers ? Number(beers) : 0,
    userId: raw[FIELDS.userId],
    email: raw[FIELDS.email],
    device: raw[FIELDS.device],
    ip: raw[FIELDS.ip],
    flash: raw[FIELDS.flash],
    provedAt: provedAt ? Number(provedAt) : undefined,
    method: raw[FIELDS.method] as SignInMethod | undefined,
    retainedAt: retainedAt ? Number(retainedAt) : undefined,
    renewedFrom: raw[FIELDS.renewedFrom],
    pendingUserId: raw[FIELDS.pendingUserId],
    pendingUntil: pendingUntil ? Number(pendingUntil) : undefined,
    pendingNext: raw[FIELDS.pendingNext],
  }
}
