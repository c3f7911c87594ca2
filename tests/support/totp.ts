import { Secret, TOTP } from 'otpauth'

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
