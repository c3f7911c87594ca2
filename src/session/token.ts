import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

const TOKEN_BYTES = 24
const SIGNATURE_BYTES = 16
const TOKEN_LENGTH = Math.ceil((TOKEN_BYTES * 4) / 3)
const SIGNATURE_LENGTH = Math.ceil((SIGNATURE_BYTES * 4) / 3)
const USER_ID = '[A-Za-z0-9-]{1,64}'
/** `<token>.<signature>` for a visitor, `<token>.<user id>.<signature>` once signed in. */
const COOKIE_PATTERN = new RegExp(
  `^([A-Za-z0-9_-]{${TOKEN_LENGTH}})(?:\\.(${USER_ID}))?\\.([A-Za-z0-9_-]{${SIGNATURE_LENGTH}})$`,
)
const CANONICAL_SIGNATURE = new RegExp(`^[A-Za-z0-9_-]{${SIGNATURE_LENGTH - 1}}[AQgw]$`)
/*
 * SHA-256 and HMAC through node:crypto cost several microseconds a call, a
 * large share of a whole page view, so what was worked out for a returning
 * cookie is remembered for the most recent ones: that it passed, and its
 * session's CSRF MACs. Only cookies whose signature passed are remembered, so
 * forged cookies cannot push real ones out; the cache is bounded either way.
 */
const REMEMBERED = 10_000

type Csrf = { token: string; tokens: Buffer[] }
type Known = { credentials: SessionCredentials; csrf?: Csrf }

/** The most recent entries, in two generations: when the newer fills up, the older is dropped whole. */
class Recent<V> {
  #current = new Map<string, V>()
  #previous = new Map<string, V>()

  get(key: string): V | undefined {
    const value = this.#current.get(key)
    if (value !== undefined) return value
    const older = this.#previous.get(key)
    return older === undefined ? undefined : this.set(key, older)
  }

  set(key: string, value: V): V {
    if (this.#current.size >= REMEMBERED / 2) {
      this.#previous = this.#current
      this.#current = new Map()
    }
    this.#current.set(key, value)
    return value
  }
}

/**
 * The secret half of a session: `token` lives only in the browser's cookie,
 * `id` (its SHA-256) names the session in Redis and on screen. A signed-in
 * session's cookie also names its user, under the same signature, so the store
 * can find the session next to the user's other keys in one step.
 */
export type SessionCredentials = { token: string; id: string; userId?: string; cookieValue: string }

/**
 * Signs and checks session cookies and CSRF tokens. The first secret signs what
 * is new; every secret is accepted, so a secret can be rotated without logging
 * anyone out. Signatures are compared as the exact characters issued: base64url
 * spells 16 byte strings' last character several ways, and `+`/`/` decode like
 * `-`/`_`, so comparing decoded bytes would accept 16 spellings of one token.
 */
export class SessionTokens {
  readonly #secrets: Buffer[]
  readonly #byCookie = new Recent<Known>()
  readonly #byId = new Recent<Known>()

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('at least one session secret is needed')
    this.#secrets = secrets.map((secret) => Buffer.from(secret, 'utf8'))
  }

  /** A fresh 192-bit token from the CSPRNG, its public ID and its signed cookie value (naming `userId` when given). */
  create(userId?: string): SessionCredentials {
    // getRandomValues draws from the same CSPRNG as randomBytes, at a quarter of its cost here.
    const token = Buffer.from(crypto.getRandomValues(new Uint8Array(TOKEN_BYTES))).toString('base64url')
    const signed = userId === undefined ? token : `${token}.${userId}`
    const cookieValue = `${signed}.${signatureOf(this.#secrets[0]!, signed)}`
    return { token, id: sessionIdOf(token), userId, cookieValue }
  }

  /**
   * Checks a cookie's format and signature without touching any store: forged or
   * garbled cookies are turned away before they cost a Redis round trip.
   */
  verify(cookieValue: string | undefined): SessionCredentials | null {
    if (!cookieValue) return null
    const known = this.#byCookie.get(cookieValue)
    if (known) return known.credentials
    const match = COOKIE_PATTERN.exec(cookieValue)
    if (!match) return null
    const [, token, userId, signature] = match as unknown as [string, string, string | undefined, string]
    const signed = userId === undefined ? token : `${token}.${userId}`
    if (
      !anyMatches(
        this.#secrets.map((secret) => this.#sign(secret, signed)),
        signature,
      )
    )
      return null
    const credentials = { token, id: sessionIdOf(token), userId, cookieValue }
    this.#byId.set(credentials.id, this.#byCookie.set(cookieValue, { credentials }))
    return credentials
  }

  /**
   * The CSRF token of a session: an HMAC of its public ID. It needs no storage,
   * dies with the session, and cannot be made from the public ID alone.
   */
  csrfTokenFor(sessionId: string): string {
    return this.#csrfOf(sessionId).token
  }

  verifyCsrfToken(sessionId: string, candidate: string | undefined): boolean {
    if (!candidate || candidate.length !== SIGNATURE_LENGTH) return false
    return anyMatches(this.#csrfOf(sessionId).tokens, candidate)
  }

  #csrfOf(sessionId: string): Csrf {
    const known = this.#byId.get(sessionId)
    if (known?.csrf) return known.csrf
    const tokens = this.#secrets.map((secret) => this.#sign(secret, `csrf:${sessionId}`))
    const csrf = { token: tokens[0]!.toString(), tokens }
    if (known) known.csrf = csrf
    return csrf
  }

  /** The signature as the ASCII bytes of its one canonical base64url spelling. */
  #sign(secret: Buffer, message: string): Buffer {
    return Buffer.from(signatureOf(secret, message))
  }
}

function signatureOf(secret: Buffer, message: string): string {
  return createHmac('sha256', secret).update(message).digest().subarray(0, SIGNATURE_BYTES).toString('base64url')
}

function anyMatches(expected: Buffer[], candidate: string): boolean {
  if (!CANONICAL_SIGNATURE.test(candidate)) return false
  const given = Buffer.from(candidate)
  let matched = false
  // Every signature is compared, so the time taken does not tell which secret matched.
  for (const signature of expected) if (timingSafeEqual(signature, given)) matched = true
  return matched
}

/** The public session ID: a one-way hash of the token, safe to show and to store. */
export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest().subarray(0, 16).toString('base64url')
}
