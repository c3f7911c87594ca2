import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

const TOKEN_BYTES = 24
const SIGNATURE_BYTES = 16
const TOKEN_LENGTH = Math.ceil((TOKEN_BYTES * 4) / 3)
const SIGNATURE_LENGTH = Math.ceil((SIGNATURE_BYTES * 4) / 3)
const COOKIE_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${TOKEN_LENGTH}}\\.[A-Za-z0-9_-]{${SIGNATURE_LENGTH}}$`)
/*
 * SHA-256 and HMAC through node:crypto cost several microseconds a call, a
 * large share of a whole page view, so what was worked out for a returning
 * cookie is remembered for the most recent ones: that it passed, and its
 * session's CSRF MACs. Only cookies whose signature passed are remembered, so
 * forged cookies cannot push real ones out; the cache is bounded either way.
 */
const REMEMBERED = 10_000

type Csrf = { token: string; macs: Buffer[] }
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
 * `id` (its SHA-256) names the session in Redis and on screen.
 */
export type SessionCredentials = { token: string; id: string; cookieValue: string }

/**
 * Signs and checks session cookies and CSRF tokens. The first secret signs what
 * is new; every secret is accepted, so a secret can be rotated without logging
 * anyone out.
 */
export class SessionTokens {
  readonly #secrets: Buffer[]
  readonly #byCookie = new Recent<Known>()
  readonly #byId = new Recent<Known>()

  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('at least one session secret is needed')
    this.#secrets = secrets.map((secret) => Buffer.from(secret, 'utf8'))
  }

  /** A fresh 192-bit token from the CSPRNG, its public ID and its signed cookie value. */
  create(): SessionCredentials {
    const token = randomBytes(TOKEN_BYTES).toString('base64url')
    return { token, id: sessionIdOf(token), cookieValue: `${token}.${this.#sign(this.#secrets[0]!, token)}` }
  }

  /**
   * Checks a cookie's format and signature without touching any store: forged or
   * garbled cookies are turned away before they cost a Redis round trip.
   */
  verify(cookieValue: string | undefined): SessionCredentials | null {
    if (!cookieValue) return null
    const known = this.#byCookie.get(cookieValue)
    if (known) return known.credentials
    if (!COOKIE_PATTERN.test(cookieValue)) return null
    const token = cookieValue.slice(0, TOKEN_LENGTH)
    const signature = Buffer.from(cookieValue.slice(TOKEN_LENGTH + 1), 'base64url')
    if (
      !anyMatches(
        this.#secrets.map((secret) => this.#mac(secret, token)),
        signature,
      )
    )
      return null
    const credentials = { token, id: sessionIdOf(token), cookieValue }
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
    return anyMatches(this.#csrfOf(sessionId).macs, Buffer.from(candidate, 'base64url'))
  }

  #csrfOf(sessionId: string): Csrf {
    const known = this.#byId.get(sessionId)
    if (known?.csrf) return known.csrf
    const macs = this.#secrets.map((secret) => this.#mac(secret, `csrf:${sessionId}`))
    const csrf = { token: macs[0]!.toString('base64url'), macs }
    if (known) known.csrf = csrf
    return csrf
  }

  #mac(secret: Buffer, message: string): Buffer {
    return createHmac('sha256', secret).update(message).digest().subarray(0, SIGNATURE_BYTES)
  }

  #sign(secret: Buffer, message: string): string {
    return this.#mac(secret, message).toString('base64url')
  }
}

function anyMatches(macs: Buffer[], signature: Buffer): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false
  let matched = false
  // Every MAC is compared, so the time taken does not tell which secret matched.
  for (const mac of macs) if (timingSafeEqual(mac, signature)) matched = true
  return matched
}

/** The public session ID: a one-way hash of the token, safe to show and to store. */
export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest().subarray(0, 16).toString('base64url')
}
