import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common'

/*
 * zxcvbn's score 2 means about 10^8 guesses: out of reach of an online attack
 * against our throttled login. Below it are the common-password list, keyboard
 * walks, repeats and small changes to any of them ("password123", "qwertyuiop",
 * "p@ssw0rd").
 */
const MIN_SCORE = 2

let estimator: ZxcvbnFactory | undefined

/*
 * Built on first use: loading the dictionaries takes tens of milliseconds.
 * Levenshtein matching stays off: it makes each check several times slower on
 * the event loop, and the l33t, reversed and pattern matchers already catch the
 * usual variations of common passwords.
 */
function strength(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs })
  return estimator
}

/**
 * Why a new password is too easy to guess, or null when it is acceptable.
 * `related` holds what an attacker would try first for this account (its email).
 */
export function weakPasswordReason(password: string, related: readonly string[] = []): string | null {
  const inputs = related.flatMap((value) => [value, ...value.split(/[@.+_-]/)]).filter((part) => part.length >= 3)
  const result = strength().check(password, inputs)
  if (result.score >= MIN_SCORE) return null
  if (result.feedback.warning === 'userInputs') return 'Choose a password that is not based on your email address.'
  return 'This password is too common or too easy to guess. Try a few unrelated words.'
}
