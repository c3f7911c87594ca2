import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * Seals small secrets for storage with AES-256-GCM. Each value is bound to its
 * owner (`context`, e.g. a user ID) as associated data, so a sealed value
 * copied into another user's row does not open.
 */
export class SecretBox {
  readonly #key: Buffer

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key')
    this.#key = key
  }

  /** `v1.<iv>.<ciphertext><tag>`, base64url: ASCII, fits a VARCHAR. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv).setAAD(Buffer.from(context, 'utf8'))
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()])
    return `${VERSION}.${iv.toString('base64url')}.${sealed.toString('base64url')}`
  }

  /** The plaintext, or an error when the value was altered, sealed for another context or under another key. */
  open(sealed: string, context: string): string {
    const [version, ivText, bodyText] = sealed.split('.')
    if (version !== VERSION || !ivText || !bodyText) throw new Error('not a sealed value')
    const iv = Buffer.from(ivText, 'base64url')
    const body = Buffer.from(bodyText, 'base64url')
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new Error('not a sealed value')
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv).setAAD(Buffer.from(context, 'utf8'))
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES))
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
      'utf8',
    )
  }
}
