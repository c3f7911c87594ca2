import { createHmac, hkdfSync, randomBytes } from 'node:crypto'

export const RECOVERY_CODE_COUNT = 10
const CODE_LENGTH = 10
/* Crockford's base32: no I, L, O or U, so codes survive being read aloud or written down. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** Ten fresh codes of 50 random bits each, shown as `XXXXX-XXXXX`. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = [...randomBytes(CODE_LENGTH)].map((byte) => ALPHABET[byte & 31]).join('')
    return `${chars.slice(0, 5)}-${chars.slice(5)}`
  })
}

/** The code in canonical form (case, spaces, dashes and look-alike letters forgiven), or null when it cannot be one. */
export function normalizeRecoveryCode(input: string): string | null {
  const code = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1')
  if (code.length !== CODE_LENGTH) return null
  for (const char of code) if (!ALPHABET.includes(char)) return null
  return code
}

/**
 * Keyed hashes of recovery codes: HMAC-SHA-256 under a key derived from
 * DATA_ENCRYPTION_KEY, so a copy of the database alone cannot be searched for
 * the codes, however fast the attacker's hardware. New codes are hashed under
 * the first key; a code is looked up under every key, so codes made before a
 * key rotation keep working.
 */
export class RecoveryCodeHasher {
  readonly #keys: Buffer[]

  constructor(dataKeys: readonly Buffer[]) {
    this.#keys = dataKeys.map((dataKey) =>
      Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'taproom recovery codes', 32)),
    )
  }

  /** The stored form of a normalized code. */
  hash(normalizedCode: string): string {
    return hmacHex(this.#keys[0]!, normalizedCode)
  }

  /** Every form the code may be stored in: under the current key first, then under each older one. */
  candidates(normalizedCode: string): string[] {
    return this.#keys.map((key) => hmacHex(key, normalizedCode))
  }
}

const hmacHex = (key: Buffer, message: string) => createHmac('sha256', key).update(message).digest('hex')
