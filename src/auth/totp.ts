import { Secret, TOTP } from 'otpauth'

/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30 s steps. */
export const TOTP_PERIOD_SECONDS = 30
const TOTP_DIGITS = 6
const ISSUER = 'Taproom'
const SIX_DIGITS = /^\d{6}$/

/** A fresh 160-bit secret, base32 (the length RFC 4226 recommends for SHA-1). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32
}

function totp(secret: string, account: string) {
  return new TOTP({
    issuer: ISSUER,
    label: account,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  })
}

/** The `otpauth://totp/...` URI an authenticator app scans from the QR code. */
export function totpUri(secret: string, account: string): string {
  return totp(secret, account).toString()
}

/** Whether the text looks like an authenticator-app code (6 digits, spaces allowed), rather than a recovery code. */
export function isTotpCode(input: string): boolean {
  return SIX_DIGITS.test(input.replace(/\s/g, ''))
}

/**
 * The time step a code belongs to when it is valid now, allowing one step
 * either side for clock drift and typing time; null otherwise. Compared in
 * constant time by otpauth.
 */
export function totpStep(secret: string, code: string, now: number): number | null {
  const token = code.replace(/\s/g, '')
  if (!SIX_DIGITS.test(token)) return null
  const delta = totp(secret, '').validate({ token, timestamp: now, window: 1 })
  if (delta === null) return null
  return Math.floor(now / 1000 / TOTP_PERIOD_SECONDS) + delta
}
