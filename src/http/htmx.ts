import type { Context } from 'hono'

export function isHtmx(c: Context): boolean {
  return c.req.header('hx-request') === 'true'
}

/**
 * Sends the browser elsewhere. htmx's fetch would follow a 3xx invisibly and
 * swap the whole next page into a fragment, so htmx requests get HX-Redirect.
 */
export function redirect(c: Context, location: string): Response {
  // Redirects here follow logins, logouts and account changes: they carry
  // session cookies and depend on HX-Request, so they are never cached.
  noStore(c)
  varyOnHtmx(c)
  if (isHtmx(c)) {
    c.header('HX-Redirect', location)
    return c.body(null, 204)
  }
  return c.redirect(location, 303)
}

/** For URLs that answer both full pages and htmx fragments. */
export function varyOnHtmx(c: Context): void {
  c.header('Vary', 'HX-Request')
}

/** Session data is personal: never stored by a browser or shared cache. */
export function noStore(c: Context): void {
  c.header('Cache-Control', 'no-store')
}
