import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { CsrfField } from '../partials/csrf-field.tsx'
import { SessionPanel } from '../partials/session-panel.tsx'

/** GET /logout only asks; logging out is a POST, so no link or image can do it. */
export function LogoutPage({ session, csrfToken, now }: { session: StoredSession; csrfToken: string; now: number }) {
  return (
    <Layout
      title="Log Out"
      loggedIn={Boolean(session.userId)}
      csrfToken={csrfToken}
      flash={session.flash}
      path="/logout"
    >
      <h1>Log Out</h1>
      {session.userId ? <p>Log out of {session.email} in this browser?</p> : <p>You are not logged in.</p>}
      <form id="logout-form" method="post" action="/logout" class="button-row">
        <CsrfField token={csrfToken} />
        <button type="submit" data-busy-label="Logging out…">
          Log Out
        </button>
        <a class="button secondary" href="/">
          Cancel
        </a>
      </form>
      <SessionPanel session={session} now={now} csrfToken={csrfToken} />
    </Layout>
  )
}
