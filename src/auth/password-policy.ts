import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common'
import { STRENGTH_MAX_LENGTH } from './strength-limit.ts'

/*
 * zxcvbn's score 2 means about 10^8 guesses: out of reach of an online attack
 * against our throttled login. Below it are the common-password list, keyboard
 * walks, repeats and small changes to any of them ("password123", "qwertyuiop",
 * "p@ssw0rd").
 */
const MIN_SCORE = 2

let estimator: ZxcvbnFactory | undefined

/*
 * Built on first use: loading the dictionaries takes tens of milliseconds and
 * about 17 MB. Levenshtein matching stays off: it makes each check several
 * times slower, and the l33t, reversed and pattern matchers already catch the
 * usual variations of common passwords.
 */
function strength(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, maxLength: STRENGTH_MAX_LENGTH })
  return estimator
}

/**
 * Why a new password is too easy to guess, or null when it is acceptable.
 * `related` holds what an attacker would try first for this account (its email).
 * Runs in the strength worker (see strength-check.ts), never on the request thread.
 */
export function weakPasswordReason(password: string, related: readonly string[] = []): string | null {
  const inputs = related
    .flatMap((value) => [value, ...value.split(/[@.+_-]/)])
    .filter((part) => part.length >= 3)
    .map((part) => part.slice(0, STRENGTH_MAX_LENGTH))
  const result = strength().check(password, inputs)
  if (result.score >= MIN_SCORE) return null
  if (result.feedback.warning === 'userInputs') return 'Choose a password that is not based on your email address.'
  return 'This password is too common or too easy to guess. Try a few unrelated words.'
}
