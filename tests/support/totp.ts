import { Secret, TOTP } from 'otpauth'
import type { SecondFactors } from '../../src/auth/second-factors.ts'

/** The authenticator app's code for `secret` (base32) at `timestamp`. */
export const codeAt = (secret: string, timestamp = Date.now()): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp })

/**
 * When the current 30-second step ends within `marginMs`, waits for the next
 * one, so that codes taken in the next few seconds for "now", "30 s ago" and
 * "in 30 s" fall in three different steps (an accepted code's step is claimed
 * once, so two codes of one step would be refused as a replay).
 */
export async function awayFromStepEdge(marginMs = 5000): Promise<void> {
  const left = 30_000 - (Date.now() % 30_000)
  if (left < marginMs) await Bun.sleep(left + 50)
}

/** The setup page's secret, as its `<code id="totp-secret">` shows it (grouped by spaces). */
export const secretOnPage = (html: string) =>
  html.match(/<code id="totp-secret">([A-Z2-7 ]+)<\/code>/)![1]!.replaceAll(' ', '')

type Enrolment = Pick<SecondFactors, 'startEnrolment' | 'confirmEnrolment'>

/**
 * Turns the authenticator app on for `userId` as its setup page would, with
 * the code of a step ten minutes ago, which no test sends: no code a test
 * sends later was used already. The secret and the first recovery codes.
 */
export async function turnOnAuthenticatorApp(
  factors: Enrolment,
  userId: string,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  const secret = await factors.startEnrolment(userId)
  if (!secret) throw new Error('the authenticator app is on already')
  const confirmedAt = Date.now() - 10 * 60_000
  const result = await factors.confirmEnrolment(userId, codeAt(secret, confirmedAt), confirmedAt)
  if (!result.ok) throw new Error(result.reason)
  return { secret, recoveryCodes: result.recoveryCodes }
}
