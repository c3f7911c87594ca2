import { describe, expect, test } from 'bun:test'
import { SessionTokens } from '../src/session/token.ts'

// base64url gives a 16-byte signature 22 characters whose last one carries
// only 2 bits, so 4 characters decode alike there; and a lenient decoder reads
// `+` and `/` as `-` and `_`. Only the spelling that was issued may pass.
const tokens = new SessionTokens(['a-secret-that-is-long-enough-0123456789'])
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Every other spelling of `value` that decodes to the same bytes. */
function sameBytes(value: string): string[] {
  const bytes = Buffer.from(value, 'base64url')
  const spellings = new Set<string>()
  for (const last of ALPHABET) {
    const candidate = value.slice(0, -1) + last
    if (candidate !== value && Buffer.from(candidate, 'base64url').equals(bytes)) spellings.add(candidate)
  }
  const lenient = value.replaceAll('-', '+').replaceAll('_', '/')
  if (lenient !== value) spellings.add(lenient)
  return [...spellings]
}

describe('signatures compare as issued', () => {
  test('a session cookie passes only in the spelling it was issued in', () => {
    for (const userId of [undefined, '3f2a9c1e-0000-4000-8000-1234567890ab']) {
      const issued = tokens.create(userId)
      expect(tokens.verify(issued.cookieValue)?.id).toBe(issued.id)
      const signature = issued.cookieValue.slice(issued.cookieValue.lastIndexOf('.') + 1)
      const others = sameBytes(signature)
      expect(others.length).toBeGreaterThanOrEqual(3)
      for (const other of others) {
        const forged = issued.cookieValue.slice(0, issued.cookieValue.lastIndexOf('.') + 1) + other
        expect(new SessionTokens(['a-secret-that-is-long-enough-0123456789']).verify(forged)).toBeNull()
      }
    }
  })

  test('a CSRF token passes only in the spelling it was issued in', () => {
    const { id } = tokens.create()
    const issued = tokens.csrfTokenFor(id)
    expect(tokens.verifyCsrfToken(id, issued)).toBe(true)
    const others = sameBytes(issued)
    expect(others.length).toBeGreaterThanOrEqual(3)
    for (const other of others) expect(tokens.verifyCsrfToken(id, other)).toBe(false)
  })

  test('a signed-in cookie cannot be moved to another user: the user id is under the signature', () => {
    const issued = tokens.create('11111111-1111-4111-8111-111111111111')
    const moved = issued.cookieValue.replace(
      '11111111-1111-4111-8111-111111111111',
      '22222222-2222-4222-8222-222222222222',
    )
    expect(tokens.verify(moved)).toBeNull()
  })
})
