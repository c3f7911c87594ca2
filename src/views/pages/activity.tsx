import type { ActivityEntry } from '../../activity/activity-log.ts'
import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import type { SessionTimeoutProps } from '../partials/session-timeout.tsx'
import { Timestamp } from '../partials/timestamp.tsx'

export type ActivityPageProps = {
  session: StoredSession
  csrfToken: string
  entries: ActivityEntry[]
  retentionDays: number
  now: number
  timeout?: SessionTimeoutProps
}

const LABELS: Record<string, (count: number) => string> = {
  login_success: () => 'Signed in',
  login_failure: (count) => (count === 1 ? 'Failed sign-in attempt' : `${count} failed sign-in attempts`),
  signup: () => 'Account created',
  password_changed: () => 'Password changed',
  email_changed: () => 'Email address changed',
  session_revoked: (count) => (count === 1 ? 'Session ended' : `${count} sessions ended`),
  reauthenticated: () => 'Confirmed it was you for a sensitive action',
  password_reset_requested: () => 'Password reset link requested',
  password_reset: () => 'Password reset by email',
  email_verified: () => 'Email address confirmed',
  email_change_requested: () => 'Email address change requested',
  second_factor_required: () => 'Password right, second step asked for',
  totp_enabled: () => 'Authenticator app turned on',
  totp_disabled: () => 'Authenticator app turned off',
  recovery_codes_regenerated: () => 'New recovery codes made (the old ones stopped working)',
  recovery_code_used: () => 'Signed in with a recovery code',
  passkey_added: () => 'Passkey added',
  passkey_renamed: () => 'Passkey renamed',
  passkey_removed: () => 'Passkey removed',
}

const DETAILS: Record<string, string> = {
  revoked: 'from Your sessions',
  revoked_own: 'this browser, from Your sessions',
  revoke_others: 'log out everywhere else',
  password_changed: 'by the password change',
  session_cap: 'too many sessions: the oldest ended',
  password_change_wrong_password: 'wrong current password on the password page',
  reauth_wrong_password: 'wrong password when confirming it was you',
  reauth_passkey_failed: 'a passkey that could not confirm it was you',
  'password+app': 'password and authenticator app',
  'recovery-code': 'password and a recovery code',
  passkey: 'with a passkey',
  wrong_second_factor: 'right password, wrong code',
  second_factor_locked: 'too many wrong codes for this account',
  second_factor_app_locked: 'authenticator app codes refused after too many wrong ones in a row',
  second_factor_timeout: 'the second step took too long',
  passkey_failed: 'a passkey that could not be verified',
  passkey_counter: 'a passkey whose counter went backwards (a copied authenticator?)',
  second_factor_changed: 'a second factor was added or removed',
  recovery_code_used: 'a recovery code was used',
}

/** "totp_enabled" → "Totp enabled": events added by later features read sensibly before they get a label. */
function labelOf({ type, count }: ActivityEntry): string {
  const label = LABELS[type]
  if (label) return label(count)
  const words = type.replaceAll('_', ' ')
  return words.charAt(0).toUpperCase() + words.slice(1)
}

function ActivityRow({ entry, now }: { entry: ActivityEntry; now: number }) {
  const detail = entry.detail ? DETAILS[entry.detail] : undefined
  return (
    <tr data-event={entry.type} data-count={String(entry.count)}>
      <td>
        <Timestamp ms={entry.at.getTime()} now={now} relative />
      </td>
      <td>
        {labelOf(entry)}
        {detail ? <span class="hint"> ({detail})</span> : null}
      </td>
      <td>{entry.device ?? ''}</td>
      <td>{entry.ip ?? ''}</td>
    </tr>
  )
}

/** GET /account/activity: the user's latest security events. */
export function ActivityPage({ session, csrfToken, entries, retentionDays, now, timeout }: ActivityPageProps) {
  return (
    <Layout
      title="Account activity"
      loggedIn
      csrfToken={csrfToken}
      flash={session.flash}
      path="/account/activity"
      timeout={timeout}
    >
      <h1>Account activity</h1>
      <p>
        The latest security events of {session.email}, newest first: sign-ins, failed attempts to guess your password
        (counted per day and address), password changes and ended sessions. Anything you do not recognise? Change your
        password, then <a href="/account/sessions">log out everywhere else</a>.
      </p>
      {entries.length === 0 ? (
        <p id="activity-empty">No security events in the last {retentionDays} days.</p>
      ) : (
        <section id="activity-list">
          <table>
            <caption class="hint">
              The last {entries.length === 1 ? 'event' : `${entries.length} events`} of {retentionDays} days.
            </caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Device</th>
                <th scope="col">IP address</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <ActivityRow entry={entry} now={now} />
              ))}
            </tbody>
          </table>
        </section>
      )}
    </Layout>
  )
}
