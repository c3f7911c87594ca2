const BASE = 'http://taproom.invalid'
const MAX_LENGTH = 512

/**
 * The same-origin path to go back to after logging in, or undefined. Only a
 * path on this site is accepted ("/account/sessions?x=1"): never an absolute
 * or protocol-relative URL ("//evil.example", "/\\evil.example"), control
 * characters, or the login page itself, so `next` cannot become an open
 * redirect or a loop.
 */
export function safeNextPath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_LENGTH) return undefined
  if (!isRelativePath(value)) return undefined
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return undefined
  let url: URL
  try {
    url = new URL(value, BASE)
  } catch {
    return undefined
  }
  if (url.origin !== BASE || url.pathname === '/login') return undefined
  const path = url.pathname + url.search
  // Resolving "." and ".." can make a protocol-relative URL of a harmless
  // looking path ("/.//evil.example"), so the result is checked again.
  return isRelativePath(path) ? path : undefined
}

function isRelativePath(path: string): boolean {
  return path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\')
}

/** "/login", or "/login?next=…" to come back to `path` afterwards. */
export function loginUrl(path: string | undefined): string {
  const next = safeNextPath(path)
  return next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login'
}
