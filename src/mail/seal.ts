import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'

const IV_BYTES = 12
const TAG_BYTES = 16

/*
 * Queued work holds links with live tokens and email addresses, and a pending
 * email change its new address. Redis keeps them sealed (AES-256-GCM under a
 * key derived from SESSION_SECRET and the purpose), so whoever can read Redis
 * finds no usable token or address there; every instance sharing the secrets
 * can open them. Keys derive from every configured secret, so a rotation does
 * not strand what was sealed under the old one.
 */
export class Sealer {
  readonly #keys: Buffer[]

  /** `purpose` keeps one use's sealed values from opening as another's. */
  constructor(secrets: string[], purpose = 'taproom mail queue v1') {
    this.#keys = secrets.map((secret) => createHmac('sha256', secret).update(purpose).digest())
  }

  seal(value: unknown): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0]!, iv)
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
  }

  /** The sealed value, or throws when no configured secret opens it. */
  open<T>(sealed: string): T {
    const raw = Buffer.from(sealed, 'base64url')
    const iv = raw.subarray(0, IV_BYTES)
    const tag = raw.subarray(raw.length - TAG_BYTES)
    const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES)
    for (const key of this.#keys) {
      try {
        // A tag of the full length only: GCM would otherwise accept a truncated one.
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
        decipher.setAuthTag(tag)
        return JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')) as T
      } catch {
        // Sealed under another configured secret (or not by us): try the next.
      }
    }
    throw new Error('sealed value cannot be opened with any configured secret')
  }
}
