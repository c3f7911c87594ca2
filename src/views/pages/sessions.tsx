import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { SessionList, type SessionListProps } from '../partials/session-list.tsx'
import type { SessionTimeoutProps } from '../partials/session-timeout.tsx'

export function SessionsPage({
  session,
  timeout,
  ...list
}: SessionListProps & { session: StoredSession; timeout?: SessionTimeoutProps }) {
  return (
    <Layout
      title="Your sessions"
      loggedIn
      csrfToken={list.csrfToken}
      flash={session.flash}
      path="/account/sessions"
      timeout={timeout}
    >
      <h1 id="sessions-heading" tabindex={-1}>
        Your sessions
      </h1>
      <p>
        Every browser logged in as {session.email}. Revoking one logs that browser out on its next request. Sessions
        that expire drop off this list by themselves.
      </p>
      <SessionList {...list} />
      <p>
        <a href="/account/password">Change your password</a> to log out everywhere else and keep this browser logged in.{' '}
        <a href="/account/email">Change your email</a> to move the account to another address.
      </p>
      <p>
        <a href="/account/activity">Account activity</a> lists recent sign-ins and changes.{' '}
        <a href="/account/delete">Delete your account</a> to log out everywhere and remove it for good.
      </p>
    </Layout>
  )
}
