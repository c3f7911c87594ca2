import type { Context, MiddlewareHandler } from 'hono'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

type Markup = HtmlEscapedString | Promise<HtmlEscapedString>

export function isHtmx(c: Context): boolean {
  return c.req.header('hx-request') === 'true'
}

/**
 * Sends the browser elsewhere. htmx's fetch would follow a 3xx invisibly and
 * swap the whole next page into a fragment, so htmx requests get HX-Redirect.
 */
export function redirect(c: Context, location: string): Response {
  if (isHtmx(c)) {
    c.header('HX-Redirect', location)
    return c.body(null, 204)
  }
  return c.redirect(location, 303)
}

/**
 * A form's answer: to an htmx POST the form alone (it swaps itself in place),
 * to anything else the whole page around it. `page` is only called when needed,
 * so a fragment never pays for loading what only the page shows.
 */
export async function renderForm(
  c: Context,
  status: ContentfulStatusCode,
  views: { form: () => Markup; page: () => Markup },
): Promise<Response> {
  const markup = isHtmx(c) && c.req.method === 'POST' ? views.form() : views.page()
  return c.html(await markup, status)
}

/**
 * For answers that may carry the session. Session data is personal: such an
 * answer (a page with the session's CSRF token, a redirect setting a cookie)
 * is never stored by a browser or a shared cache. And these URLs answer both
 * full pages and htmx fragments: Vary keeps a cache from handing one to a
 * request that asked for the other.
 */
export function personalAnswers(): MiddlewareHandler {
  return function personalAnswersMiddleware(c, next) {
    c.header('Cache-Control', 'no-store')
    c.header('Vary', 'HX-Request')
    return next()
  }
}
