import type { SignInMethod, StoredSession } from '../../session/store.ts'
import { CsrfField } from './csrf-field.tsx'
import { Timestamp } from './timestamp.tsx'

export type SessionListProps = { sessions: StoredSession[]; currentId: string | null; csrfToken: string; now: number }

/*
 * A revoke answers with the whole list, so the rows, the count and the
 * "everywhere else" button stay in step. A failed revoke (store down) shows its
 * message in the flash region and leaves the list as it is. A 403 is left to
 * the server: an expired form's message goes to the flash region, a "Confirm
 * it's you" form replaces the page's content. Every button of the list waits
 * while one action is in flight: its answer replaces the list, and htmx drops
 * a second answer whose target is gone, leaving rows the server has ended.
 */
const LIST_SWAP = {
  'hx-disable': '#sessions-list button',
  'hx-target': '#sessions-list',
  'hx-swap': 'outerHTML',
  'hx-status:5xx': 'target:#flash swap:innerHTML',
}

const COLUMNS = ['Device', 'IP address', 'Signed in with', 'Signed in', 'Last activity'] as const

const METHODS: Record<SignInMethod, string> = {
  password: 'Password',
  'password+app': 'Password + app',
  passkey: 'Passkey',
  'recovery-code': 'Recovery code',
  'email-link': 'Link from email',
}

function SessionRow({
  session,
  current,
  csrfToken,
  now,
}: {
  session: StoredSession
  current: boolean
  csrfToken: string
  now: number
}) {
  const device = session.device ?? 'Unknown device'
  const action = `/account/sessions/${session.id}/revoke`
  return (
    <tr data-session-id={session.id} data-current={current ? 'true' : undefined}>
      <td data-label={COLUMNS[0]}>{device}</td>
      <td data-label={COLUMNS[1]}>{session.ip ?? 'unknown'}</td>
      <td data-label={COLUMNS[2]} data-sign-in-method={session.method}>
        {session.method ? METHODS[session.method] : 'unknown'}
      </td>
      <td data-label={COLUMNS[3]}>
        <Timestamp ms={session.createdAt} now={now} />
      </td>
      <td data-label={COLUMNS[4]}>
        <Timestamp ms={session.lastSeenAt} now={now} relative />
      </td>
      <td class="row-action">
        {current ? (
          <a href="/logout">Log Out</a>
        ) : (
          <form method="post" action={action} class="inline-form" hx-post={action} {...LIST_SWAP}>
            <CsrfField token={csrfToken} />
            <button
              type="submit"
              class="danger"
              aria-label={`Revoke the session on ${device}`}
              data-busy-label="Revoking…"
            >
              Revoke
            </button>
          </form>
        )}
      </td>
    </tr>
  )
}

/** The table of a user's sessions and the "everywhere else" button; htmx swaps it whole after either action. */
export function SessionList({ sessions, currentId, csrfToken, now }: SessionListProps) {
  const others = sessions.filter((session) => session.id !== currentId).length
  return (
    <section id="sessions-list" data-session-count={String(sessions.length)} aria-labelledby="sessions-count">
      <p id="sessions-count" class="hint">
        {sessions.length === 1 ? 'One active session.' : `${sessions.length} active sessions.`}
      </p>
      <table aria-labelledby="sessions-count">
        <thead>
          <tr>
            {COLUMNS.map((column) => (
              <th scope="col">{column}</th>
            ))}
            <th scope="col">
              <span class="hint">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((session) => (
            <SessionRow session={session} current={session.id === currentId} csrfToken={csrfToken} now={now} />
          ))}
        </tbody>
      </table>
      {others > 0 ? (
        <form
          id="revoke-others-form"
          method="post"
          action="/account/sessions/revoke-others"
          hx-post="/account/sessions/revoke-others"
          {...LIST_SWAP}
        >
          <CsrfField token={csrfToken} />
          <button type="submit" class="danger" data-busy-label="Logging out the others…">
            Log out everywhere else
          </button>
        </form>
      ) : (
        <p class="hint">No other browser is logged in to your account.</p>
      )}
    </section>
  )
}
