import { Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppEnv } from '../app-env.ts'
import { isHtmx } from '../http/htmx.ts'
import type { Sessions } from '../session/sessions.ts'
import type { StoredSession } from '../session/store.ts'
import { HowItWorksPage } from '../views/pages/how-it-works.tsx'
import { type Inspection, SessionInspector } from '../views/partials/session-inspector.tsx'

export type HowItWorksDeps = { sessions: Sessions; now: () => number }

/**
 * GET /how-it-works: the visitor's own session as Redis holds it, beside an
 * explanation. A live session is only peeked at (looking is not activity); a
 * visitor without one gets one, as on any first page view. With HX-Request it
 * answers the inspector fragment alone and never starts a session.
 */
export function howItWorksRoutes({ sessions, now }: HowItWorksDeps) {
  async function inspect(session: StoredSession | null): Promise<Inspection> {
    const common = { idleSeconds: sessions.idleSeconds, absoluteSeconds: sessions.absoluteSeconds, now: now() }
    if (!session) return { session: null, sessionKey: null, index: null, ...common }
    return { ...(await sessions.inspect(session)), now: common.now }
  }

  return new Hono<AppEnv>().get('/how-it-works', async (c) => {
    const session = c.get('session')
    const live = await session.peek()
    if (isHtmx(c)) return c.html(<SessionInspector {...(await inspect(live))} />)
    const state = live ?? (await session.load())
    // A session started just now stores no flash: its notice lives only in this response.
    const inspection = await inspect(live ?? { ...state, flash: undefined })
    return c.html(
      <HowItWorksPage
        inspection={inspection}
        csrfToken={state.csrfToken}
        loggedIn={Boolean(state.userId)}
        flash={live ? undefined : state.flash}
        cookie={{
          name: sessions.cookieName,
          // The cookie this request sent names the session shown; a new session's cookie is only being set now.
          value: live ? getCookie(c, sessions.cookieName) : undefined,
          expiresAt: state.createdAt + sessions.absoluteSeconds * 1000,
        }}
      />,
    )
  })
}
