import type { FieldErrors } from '../../auth/forms.ts'
import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { AccountForm } from '../partials/account-form.tsx'
import { EmailField } from '../partials/email-field.tsx'
import type { SessionTimeoutProps } from '../partials/session-timeout.tsx'
import { InboxNotice } from './recovery.tsx'

export type EmailFormProps = {
  csrfToken: string
  current: string
  email?: string
  /** Set once a link went out: shown instead of the form's messages. */
  sent?: string
  fieldErrors?: FieldErrors
}

/** The new address (`email`); a link to it must be followed before anything changes. */
export function EmailForm({ csrfToken, current, email, sent, fieldErrors = {} }: EmailFormProps) {
  return (
    <AccountForm id="email-form" action="/account/email" csrfToken={csrfToken}>
      {sent ? <InboxNotice message={sent} /> : null}
      <p>
        Your email address is <strong>{current}</strong>.
      </p>
      <EmailField
        label="New email address"
        value={email}
        error={fieldErrors.email}
        autocomplete="email"
        hint="We mail a link to the new address; your email changes when you follow it. The current address is told."
      />
      <button type="submit" data-busy-label="Sending…">
        Send Confirmation Link
      </button>
    </AccountForm>
  )
}

/** GET /account/email. */
export function EmailPage(props: EmailFormProps & { session: StoredSession; timeout?: SessionTimeoutProps }) {
  return (
    <Layout
      title="Change your email"
      loggedIn
      csrfToken={props.csrfToken}
      flash={props.session.flash}
      timeout={props.timeout}
    >
      <h1>Change your email</h1>
      <EmailForm {...props} />
    </Layout>
  )
}

/** A confirmation link whose address another account took in the meantime (409). */
export function EmailTakenPage({ session, csrfToken }: { session: StoredSession; csrfToken: string }) {
  return (
    <Layout title="Address Taken" loggedIn={Boolean(session.userId)} csrfToken={csrfToken}>
      <h1>Address taken</h1>
      <p id="link-error" class="form-error" role="alert">
        That address now belongs to another account, so your email was not changed.
      </p>
      <p>
        <a href="/account/email">Choose another address</a>
      </p>
    </Layout>
  )
}

/**
 * An email change link opened in a browser that is not logged in to the
 * account it would move (403 for a POST): it acts only there. Whoever
 * confirms must hold the account's credentials, not just the new mailbox, or
 * someone could move an account of their own onto a stranger's address by
 * sending them a link to click, and keep its password, app and passkeys there.
 */
export function LogInToMoveEmailPage({
  loginHref,
  session,
  csrfToken,
}: {
  loginHref: string
  session: StoredSession
  csrfToken: string
}) {
  return (
    <Layout title="Log In to Confirm" loggedIn={Boolean(session.userId)} csrfToken={csrfToken} flash={session.flash}>
      <h1>Log in to confirm your new email</h1>
      <p id="link-login-needed">
        This link moves a Taproom account to the address it was sent to. It works only in a browser logged in to that
        account: log in with the account's current email address and password, and the change is made. If you did not
        ask for it, ignore it: nothing changes.
      </p>
      <p>
        <a id="link-login" class="button" href={loginHref}>
          Log in to confirm
        </a>
      </p>
    </Layout>
  )
}
