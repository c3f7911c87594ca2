import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { HtmlEscapedString } from 'hono/utils/html'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { AppEnv } from '../app-env.ts'
import { describeError, type Logger, rateLimitedLog } from '../log.ts'
import {
  type ActiveSession,
  type RequestSession,
  SessionEndedError,
  SessionReplacedError,
} from '../session/request-session.ts'
import { ServiceUnavailableError } from '../unavailable.ts'
import { isHtmx } from './htmx.ts'
import { routeOf } from './only-param.ts'

/** What an error page shows; the page itself comes from the views, handed in by the app. */
export type ErrorPageProps = {
  status: number
  title: string
  message: string
  requestId?: string
  loggedIn: boolean | null
  csrfToken: string | null
}
export type ErrorPageView = (props: ErrorPageProps) => HtmlEscapedString | Promise<HtmlEscapedString>

/** What an htmx request refused for an ended session gets: the new session, shown where the page expects it. */
export type SessionEndedProps = { session: ActiveSession; now: number; currentUrl: string | undefined }
export type SessionEndedView = (props: SessionEndedProps) => HtmlEscapedString | Promise<HtmlEscapedString>

const SESSION_ENDED_TITLE = 'Your session had ended'
const SESSION_ENDED =
  'Your session had ended before this arrived (it expired, or was ended from another browser), so nothing was changed and you are not logged in. A new session has started: go back, reload the page and send the form again.'

const SESSION_REPLACED =
  'This page was opened before you signed in or confirmed it was you, so nothing was changed. Reload the page and try again.'

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Please log in',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported form encoding',
  422: 'Check the form',
  429: 'Too many attempts',
  500: 'Something went wrong',
  503: 'Temporarily unavailable',
}

async function respond(
  c: Context<AppEnv>,
  page: ErrorPageView,
  status: ContentfulStatusCode,
  message: string,
  { sessionReadable = true } = {},
) {
  const title = TITLES[status] ?? 'Error'
  if (isHtmx(c)) {
    // Into the page's notice region, whatever the request targeted: an error
    // must not replace the form or row it came from.
    c.header('HX-Retarget', '#flash')
    c.header('HX-Reswap', 'innerHTML')
    return c.html(
      <p class="form-error" role="alert">
        {message}
      </p>,
      status,
    )
  }
  const session = c.get('session')
  const loggedIn = sessionReadable ? await isLoggedIn(session) : null
  const csrfToken = session?.csrfToken ?? null
  return c.html(await page({ status, title, message, requestId: c.get('requestId'), loggedIn, csrfToken }), status)
}

/** For the nav of an error page: read without extending; null when it cannot be known. */
async function isLoggedIn(session: RequestSession | undefined): Promise<boolean | null> {
  if (!session) return null
  if (!session.id) return false
  try {
    return Boolean((await session.peek())?.userId)
  } catch {
    return null
  }
}

/**
 * A state-changing request whose session had ended is refused like a stale
 * CSRF token (403, X-CSRF-Refused, so public/app.js refreshes the token and
 * may retry), but its answer also carries the session that replaced it: for
 * htmx the notice, with the panel and the nav out of band; otherwise a page
 * that says what happened, with the new session's token.
 */
async function sessionEndedAnswer(
  c: Context<AppEnv>,
  session: ActiveSession,
  views: { page: ErrorPageView; sessionEnded: SessionEndedView; now: () => number },
) {
  c.header('X-CSRF-Refused', 'session-ended')
  if (isHtmx(c)) {
    c.header('HX-Retarget', '#flash')
    c.header('HX-Reswap', 'innerHTML')
    const currentUrl = c.req.header('hx-current-url')
    return c.html(await views.sessionEnded({ session, now: views.now(), currentUrl }), 403)
  }
  const props = { status: 403, title: SESSION_ENDED_TITLE, message: SESSION_ENDED, requestId: c.get('requestId') }
  return c.html(await views.page({ ...props, loggedIn: false, csrfToken: session.csrfToken }), 403)
}

/**
 * The one place errors become pages: expected ones keep their status and
 * message; a backing service that failed is a 503, logged at warn at most once
 * a second per cause; anything else is logged with its request id and shown as
 * a plain 500 without internals. `page` renders the full error page and
 * `sessionEnded` the htmx answer of SessionEndedError (both from the views).
 * Logs hold error names and codes, never a driver's message.
 */
export function errorPages({
  page,
  sessionEnded,
  logger,
  now,
}: {
  page: ErrorPageView
  sessionEnded: SessionEndedView
  logger: Logger
  now: () => number
}): {
  onError: ErrorHandler<AppEnv>
  notFound: NotFoundHandler<AppEnv>
} {
  const logFailure = rateLimitedLog(logger)
  const onError: ErrorHandler<AppEnv> = (error, c) => {
    if (error instanceof SessionEndedError) return sessionEndedAnswer(c, error.session, { page, sessionEnded, now })
    if (error instanceof SessionReplacedError) {
      // Answered as a stale token: public/app.js takes the new session's token and may send it again.
      c.header('X-CSRF-Refused', 'token')
      return respond(c, page, 403, SESSION_REPLACED, { sessionReadable: false })
    }
    if (error instanceof HTTPException) {
      if (error.cause !== undefined) {
        const { errorName } = describeError(error.cause)
        logFailure(
          'warn',
          `${error.status}:${errorName}`,
          { requestId: c.get('requestId'), status: error.status, ...describeError(error.cause) },
          `${error.message} (answered ${error.status})`,
        )
      }
      if (error.res) return error.res
      return respond(c, page, error.status as ContentfulStatusCode, error.message || TITLES[error.status] || 'Error')
    }
    if (error instanceof ServiceUnavailableError) {
      const code = error.codes.join(', ') || 'unknown'
      logFailure(
        'warn',
        `${error.service}:${code}`,
        { requestId: c.get('requestId'), service: error.service, errorCode: code, status: 503 },
        `${error.service} unavailable: answered 503`,
      )
      c.header('Retry-After', '5')
      const what = error.service === 'redis' ? 'The session store' : 'The user database'
      return respond(c, page, 503, `${what} is temporarily unavailable. Please try again in a moment.`, {
        sessionReadable: error.service !== 'redis',
      })
    }
    logger.error(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        route: routeOf(c),
        status: 500,
        ...describeError(error, { stack: true }),
      },
      'unexpected error: answered 500',
    )
    return respond(c, page, 500, 'Something went wrong on our side. Please try again.')
  }
  const notFound: NotFoundHandler<AppEnv> = (c) => respond(c, page, 404, 'There is no page at this address.')
  return { onError, notFound }
}
