import { createHmac } from 'node:crypto'

/** A short, stable pseudonym for an email, for Redis keys and logs that must not hold the address. */
export type EmailHash = (email: string) => string

/**
 * Keyed with a server secret (HMAC-SHA-256), so a list of candidate emails
 * cannot be hashed and matched against logs or keys by anyone without it. The
 * key is derived from the secret rather than being the secret, so the same
 * secret signing cookies and naming emails never mix.
 */
export function keyedEmailHash(secret: string): EmailHash {
  const key = createHmac('sha256', secret).update('taproom email pseudonym').digest()
  return (email) => createHmac('sha256', key).update(email.trim().toLowerCase()).digest('base64url').slice(0, 22)
}
