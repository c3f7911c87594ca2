import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

const TOKEN_BYTES = 24
const SIGNATURE_BYTES = 16
const TOKEN_LENGTH = Math.ceil((TOKEN_BYTES * 4) / 3)
const SIGNATURE_LENGTH = Math.ceil((SIGNATURE_BYTES * 4) / 3)
const COOKIE_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${TOKEN_LENGTH}}\\.[A-Za-z0-9_-]{${SIGNATURE_LENGTH}}$`)

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
    if (!cookieValue || !COOKIE_PATTERN.test(cookieValue)) return null
    const token = cookieValue.slice(0, TOKEN_LENGTH)
    const signature = Buffer.from(cookieValue.slice(TOKEN_LENGTH + 1), 'base64url')
    if (!this.#matchesAnySecret(token, signature)) return null
    return { token, id: sessionIdOf(token), cookieValue }
  }

  /**
   * The CSRF token of a session: an HMAC of its public ID. It needs no storage,
   * dies with the session, and cannot be made from the public ID alone.
   */
  csrfTokenFor(sessionId: string): string {
    return this.#sign(this.#secrets[0]!, `csrf:${sessionId}`)
  }

  verifyCsrfToken(sessionId: string, candidate: string | undefined): boolean {
    if (!candidate || candidate.length !== SIGNATURE_LENGTH) return false
    return this.#matchesAnySecret(`csrf:${sessionId}`, Buffer.from(candidate, 'base64url'))
  }

  #matchesAnySecret(message: string, signature: Buffer): boolean {
    if (signature.length !== SIGNATURE_BYTES) return false
    let matched = false
    for (const secret of this.#secrets) {
      // Every secret is tried, so the time taken does not tell which one matched.
      if (timingSafeEqual(this.#mac(secret, message), signature)) matched = true
    }
    return matched
  }

  #mac(secret: Buffer, message: string): Buffer {
    return createHmac('sha256', secret).update(message).digest().subarray(0, SIGNATURE_BYTES)
  }

  #sign(secret: Buffer, message: string): string {
    return this.#mac(secret, message).toString('base64url')
  }
}

/** The public session ID: a one-way hash of the token, safe to show and to store. */
export function sessionIdOf(token: string): string {
  return createHash('sha256').update(token).digest().subarray(0, 16).toString('base64url')
}
