import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

/** What a sealed value opened to, and the same value sealed under the current key when an older key had sealed it. */
export type Opened = { plaintext: string; resealed: string | null }

/**
 * Seals small secrets for storage with AES-256-GCM. Each value is bound to its
 * owner (`context`, e.g. a user ID) as associated data, so a sealed value
 * copied into another user's row does not open.
 *
 * The first key seals; every key opens, so a key can be rotated without
 * locking anyone out. A value carries no key id: GCM's tag tells which key
 * sealed it (a wrong key fails authentication, except with chance 2^-128).
 */
export class SecretBox {
  readonly #keys: readonly Buffer[]

  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0 || keys.some((key) => key.length !== 32)) {
      throw new Error('SecretBox needs one or more 32-byte keys')
    }
    this.#keys = [...keys]
  }

  /** `v1.<iv>.<ciphertext><tag>`, base64url: ASCII, fits a VARCHAR. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#keys[0]!, iv).setAAD(Buffer.from(context, 'utf8'))
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    return `${VERSION}.${iv.toString('base64url')}.${sealed.toString('base64url')}`
  }

  /** The plaintext, or an error when the value was altered, sealed for another context or under no key given. */
  open(sealed: string, context: string): string {
    return this.openForRotation(sealed, context).plaintext
  }

  /** `open`, telling also what to store instead when the value was sealed under an older key. */
  openForRotation(sealed: string, context: string): Opened {
    const [version, ivText, bodyText] = sealed.split('.')
    if (version !== VERSION || !ivText || !bodyText) throw new Error('not a sealed value')
    const iv = Buffer.from(ivText, 'base64url')
    const body = Buffer.from(bodyText, 'base64url')
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new Error('not a sealed value')
    for (const [index, key] of this.#keys.entries()) {
      const plaintext = openWith(key, iv, body, context)
      if (plaintext !== null) return { plaintext, resealed: index === 0 ? null : this.seal(plaintext, context) }
    }
    throw new Error(
      'the sealed value opens under no key given (altered, sealed for another owner, or its key was dropped)',
    )
  }
}

function openWith(key: Buffer, iv: Buffer, body: Buffer, context: string): string | null {
  const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(context, 'utf8'))
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    )
  } catch {
    return null
  }
}
