import type { MiddlewareHandler } from 'hono'

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ')

/**
 * CSP allows only our own scripts and styles: no inline script, no eval (htmx
 * is configured to need neither), and no framing. The other headers are those
 * of hono's secureHeaders (less COEP, which would block nothing we load).
 *
 * They are set before the handler runs, so they go into the response as it is
 * built: setting them on a finished response (as secureHeaders does) copies
 * it in Bun and costs more than the rest of a page view's headers together.
 */
export function securityHeaders({ hsts }: { hsts: boolean }): MiddlewareHandler {
  const headers: [string, string][] = [
    ['Content-Security-Policy', CONTENT_SECURITY_POLICY],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Cross-Origin-Resource-Policy', 'same-origin'],
    ['Origin-Agent-Cluster', '?1'],
    ['Referrer-Policy', 'same-origin'],
    ['X-Content-Type-Options', 'nosniff'],
    ['X-DNS-Prefetch-Control', 'off'],
    ['X-Download-Options', 'noopen'],
    ['X-Frame-Options', 'DENY'],
    ['X-Permitted-Cross-Domain-Policies', 'none'],
    ['X-XSS-Protection', '0'],
  ]
  if (hsts) headers.push(['Strict-Transport-Security', 'max-age=63072000; includeSubDomains'])
  return function securityHeadersMiddleware(c, next) {
    for (const [name, value] of headers) c.header(name, value)
    if (carriesToken(c.req.path)) c.header('Referrer-Policy', 'no-referrer')
    return next()
  }
}

/** Paths whose URL holds a mailed token, or whose page follows one. */
const TOKEN_PATHS = ['/password/reset', '/verify-email/', '/account/email/confirm/']

/*
 * These answers send no Referer at all, whatever answers them (a page, a 403
 * from the CSRF check, a 413), so a token in the URL never leaves in one.
 */
function carriesToken(path: string): boolean {
  return TOKEN_PATHS.some((prefix) => path.startsWith(prefix))
}
