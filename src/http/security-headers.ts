import { secureHeaders } from 'hono/secure-headers'

/**
 * CSP allows only our own scripts and styles: no inline script, no eval (htmx
 * is configured to need neither), and no framing.
 */
export function securityHeaders({ hsts }: { hsts: boolean }) {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
    },
    referrerPolicy: 'same-origin',
    strictTransportSecurity: hsts ? 'max-age=63072000; includeSubDomains' : false,
    crossOriginEmbedderPolicy: false,
    xFrameOptions: 'DENY',
  })
}
