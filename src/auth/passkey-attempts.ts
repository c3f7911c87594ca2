import type { AttemptThrottle } from './throttle.ts'

/*
 * What passkey attempts are counted by in the login throttle, in place of an
 * email (an assertion names its account only once it is verified): a count
 * per client address, held to the per-email limit, within the per-IP budget
 * passwords spend. Not per account: a passkey cannot be guessed, and an
 * account count a stranger could spend would lock its owner out.
 */
const PASSKEY_ATTEMPTS = 'passkey sign-in'

export type CountedCheck<T> = { throttled: true; retryAfterSeconds: number } | { throttled: false; result: T }

/**
 * Runs one passkey check (a sign-in, or confirming it is the user) as an
 * attempt in the login throttle: counted before the check looks at anything
 * (a database lookup, then the signature), given back when the check has no
 * verdict (Redis or MySQL failed), released when `succeeded` says so, and
 * left counted as a failure otherwise.
 */
export async function countedPasskeyCheck<T>(
  throttle: AttemptThrottle,
  ip: string,
  check: () => Promise<T>,
  succeeded: (result: T) => boolean,
): Promise<CountedCheck<T>> {
  const verdict = await throttle.reserve(ip, PASSKEY_ATTEMPTS)
  if (!verdict.allowed) return { throttled: true, retryAfterSeconds: verdict.retryAfterSeconds }
  let result: T
  try {
    result = await check()
  } catch (error) {
    await throttle.release(ip, PASSKEY_ATTEMPTS, 'undo').catch(() => {})
    throw error
  }
  if (succeeded(result)) await throttle.release(ip, PASSKEY_ATTEMPTS, 'success')
  return { throttled: false, result }
}
