import { Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import { isHtmx, redirect } from '../http/htmx.ts'
import { requireUser } from '../http/require-user.ts'
import { SessionPanel } from '../views/partials/session-panel.tsx'
import { type SessionLifetimes, SessionTimeout } from '../views/partials/session-timeout.tsx'
import { pageOf } from './fresh-proof.tsx'

export type SessionExtendDeps = { lifetimes: SessionLifetimes; now: () => number }

/**
 * POST /session/extend, the timeout warning's "Stay signed in": counts as
 * activity, so the idle expiry slides (never past the absolute deadline). For
 * htmx the answer is the panel and the warning out of band, with the new
 * expiry; otherwise a 303 back to the page. A session that already ended gets
 * what any signed-in page gives it: the login page with its notice.
 */
export function sessionExtendRoutes({ lifetimes, now }: SessionExtendDeps) {
  return new Hono<AppEnv>().post('/session/extend', async (c) => {
    const { state } = await requireUser(c)
    if (!isHtmx(c)) return redirect(c, pageOf(c))
    const at = now()
    return c.html(
      <>
        <SessionPanel session={state} now={at} csrfToken={state.csrfToken} oob />
        <SessionTimeout session={state} now={at} lifetimes={lifetimes} csrfToken={state.csrfToken} oob />
      </>,
    )
  })
}
