import type { SignInMethod, StoredSession } from '../../session/store.ts'
import { CsrfField } from './csrf-field.tsx'
import { Timestamp } from './timestamp.tsx'

export type SessionListProps = { sessions: StoredSession[]; currentId: string | null; csrfToken: string; now: number }

/*
 * A failed revoke (store down) shows its message in the flash region instead
 * of deleting the row; a 404 still deletes it, since that session has ended
 * either way. A 403 is left to the server: an expired form's message goes to
 * the flash region, a "Confirm it's you" form replaces the page's content.
 */
const METHODS: Record<SignInMethod, string> = {
  password: 'Password',
  'password+app': 'Password + app',
  passkey: 'Passkey',
  'recovery-code': 'Recovery code',
}

const ERROR_TO_FLASH = {
  'hx-status:5xx': 'target:#flash swap:innerHTML',
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
      <td>{device}</td>
      <td>{session.ip ?? 'unknown'}</td>
      <td data-sign-in-method={session.method}>{session.method ? METHODS[session.method] : 'unknown'}</td>
      <td>
        <Timestamp ms={session.createdAt} now={now} />
      </td>
      <td>
        <Timestamp ms={session.lastSeenAt} now={now} relative />
      </td>
      <td>
        {current ? (
          <a href="/logout">Log out</a>
        ) : (
          <form
            method="post"
            action={action}
            class="inline-form"
            hx-post={action}
            hx-target="closest tr"
            hx-swap="delete"
            {...ERROR_TO_FLASH}
          >
            <CsrfField token={csrfToken} />
            <button type="submit" class="danger" aria-label={`Revoke the session on ${device}`}>
              Revoke
            </button>
          </form>
        )}
      </td>
    </tr>
  )
}

/** The table of a user's sessions and the "everywhere else" button; htmx swaps it whole after that button. */
export function SessionList({ sessions, currentId, csrfToken, now }: SessionListProps) {
  const others = sessions.filter((session) => session.id !== currentId).length
  return (
    <section id="sessions-list" data-session-count={String(sessions.length)}>
      <table>
        <caption class="hint">
          {sessions.length === 1 ? 'One active session.' : `${sessions.length} active sessions.`}
        </caption>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">IP address</th>
            <th scope="col">Signed in with</th>
            <th scope="col">Signed in</th>
            <th scope="col">Last activity</th>
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
          hx-target="#sessions-list"
          hx-swap="outerHTML"
          {...ERROR_TO_FLASH}
        >
          <CsrfField token={csrfToken} />
          <button type="submit" class="danger">
            Log out everywhere else
          </button>
        </form>
      ) : (
        <p class="hint">No other browser is logged in to your account.</p>
      )}
    </section>
  )
}
