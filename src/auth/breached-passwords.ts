import { createHash } from 'node:crypto'

/** Whether a new password appears in known breaches (Pwned Passwords). */
export type BreachCheck = (password: string) => Promise<boolean>

const TIMEOUT_MS = 1000
const MAX_RANGE_BYTES = 2 * 1024 * 1024

/**
 * The Pwned Passwords range API with k-anonymity: only the first 5 hex digits
 * of the password's SHA-1 leave the machine, and the answer (padded, so its
 * size says nothing either) lists every suffix with that prefix. Fails open:
 * when the service is slow or down, sign-up and password changes go on with
 * the other checks, and `warn` says so (without anything of the password).
 * Without a URL nothing is checked.
 */
export function createBreachCheck({
  url,
  warn,
}: {
  url: string | undefined
  warn: (message: string) => void
}): BreachCheck {
  if (!url) return async () => false
  const base = url.replace(/\/+$/, '')
  return async function isBreached(password) {
    const sha1 = createHash('sha1').update(password).digest('hex').toUpperCase()
    const prefix = sha1.slice(0, 5)
    const suffix = sha1.slice(5)
    try {
      const response = await fetch(`${base}/${prefix}`, {
        headers: { 'Add-Padding': 'true' },
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      })
      if (!response.ok) throw new Error(`status ${response.status}`)
      const body = await response.text()
      if (body.length > MAX_RANGE_BYTES) throw new Error('answer too large')
      return listsSuffix(body, suffix)
    } catch (error) {
      warn(`Pwned Passwords check skipped (${describe(error)}); the password was judged by the other checks only`)
      return false
    }
  }
}

/* Lines read "SUFFIX:COUNT"; padding lines have a count of 0. */
function listsSuffix(body: string, suffix: string): boolean {
  for (const line of body.split('\n')) {
    const [candidate, count] = line.trim().split(':')
    if (candidate?.toUpperCase() === suffix) return Number(count) > 0
  }
  return false
}

/* Our own words or an error code only: a fetch error's text may quote the URL, which holds the hash prefix. */
function describe(error: unknown): string {
  const { name, code } = (error ?? {}) as { name?: string; code?: string }
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${TIMEOUT_MS} ms`
  if (error instanceof Error && error.message.startsWith('status ')) return error.message
  if (error instanceof Error && error.message === 'answer too large') return error.message
  return code ?? 'unreachable'
}
