import type { BreachCheck } from './breached-passwords.ts'
import type { StrengthCheck } from './strength-check.ts'

export const BREACHED_PASSWORD = 'This password has appeared in a data breach. Choose another.'

/** Why a new password (sign-up, change, reset) is refused, or null when it may be used. */
export type NewPasswordCheck = (password: string, email: string | undefined) => Promise<string | null>

/**
 * The checks a new password passes after the form's own (length, match):
 * not guessable (zxcvbn, given the account's email when there is a valid one)
 * and not in a known breach. Callers throttle before calling: both cost more
 * than anything else in the request before bcrypt.
 */
export function createNewPasswordCheck({
  strength,
  isBreached,
}: {
  strength: StrengthCheck
  isBreached: BreachCheck
}): NewPasswordCheck {
  return async function newPasswordProblem(password, email) {
    const weak = await strength.weakPasswordReason(password, email ? [email] : [])
    if (weak) return weak
    return (await isBreached(password)) ? BREACHED_PASSWORD : null
  }
}
