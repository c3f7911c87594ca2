import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../app-env.ts'
import type { ActiveSession, SessionUser } from '../session/request-session.ts'
import { isHtmx } from './htmx.ts'
import { loginUrl } from './next-path.ts'

export type SignedIn = { state: ActiveSession; user: SessionUser }

/**
 * The logged-in user of this request (loading the session counts as activity),
 * or a way to the login page (to the second step for a pending sign-in): 303 for a plain request, and for htmx 401 with
 * HX-Redirect, because fetch would follow a redirect and swap the login page
 * into a fragment. The login page is told to come back here afterwards (`next`:
 * this path, or for htmx the page it came from). The answer is built on the
 * context, so a session cookie set while loading still reaches the browser.
 */
export async function requireUser(c: Context<AppEnv>): Promise<SignedIn> {
  const session = c.get('session')
  const state = await session.load()
  if (state.userId && state.email) return { state, user: { id: state.userId, email: state.email } }

  // A session that just expired carries its notice to the login page.
  if (state.flash) await session.flash(state.flash)
  // Half-way through a two-step sign-in, the way on is the second step.
  const next = state.pendingUserId ? '/login/verify' : undefined
  if (isHtmx(c)) {
    c.header('HX-Redirect', next ?? loginUrl(pagePath(c.req.header('hx-current-url'))))
    throw new HTTPException(401, { res: c.body(null, 401) })
  }
  const back = c.req.method === 'GET' ? c.req.path + new URL(c.req.url).search : undefined
  throw new HTTPException(303, { res: c.redirect(next ?? loginUrl(back), 303) })
}

function pagePath(currentUrl: string | undefined): string | undefined {
  if (!currentUrl) return undefined
  try {
    const url = new URL(currentUrl)
    return url.pathname + url.search
  } catch {
    return undefined
  }
}
