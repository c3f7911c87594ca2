import type { FieldErrors } from '../../auth/forms.ts'
import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { AccountForm } from '../partials/account-form.tsx'
import { EmailField } from '../partials/email-field.tsx'
import { NewPasswordFields } from '../partials/new-password-fields.tsx'

export type ForgotFormProps = { csrfToken: string; email?: string; error?: string; fieldErrors?: FieldErrors }

/** GET /password/forgot's form: one field, `email`. */
export function ForgotForm({ csrfToken, email, error, fieldErrors = {} }: ForgotFormProps) {
  return (
    <AccountForm id="forgot-form" action="/password/forgot" csrfToken={csrfToken} error={error}>
      <EmailField value={email} error={fieldErrors.email} autocomplete="username" />
      <button type="submit" data-busy-label="Sending…">
        Send Reset Link
      </button>
    </AccountForm>
  )
}

export function ForgotPage(props: ForgotFormProps & { session: StoredSession }) {
  return (
    <Layout
      title="Forgot Your Password"
      loggedIn={Boolean(props.session.userId)}
      csrfToken={props.csrfToken}
      flash={props.session.flash}
    >
      <h1>Forgot your password?</h1>
      <p>Enter your account’s email address and we will mail you a link to choose a new password.</p>
      <ForgotForm {...props} />
      <p>
        Remembered it? <a href="/login">Log in</a>.
      </p>
    </Layout>
  )
}

/**
 * What a form that mails someone answers, whoever the address belongs to: the
 * same words for an address with an account and without one.
 */
export function InboxNotice({ message }: { message: string }) {
  return (
    <p id="inbox-notice" class="notice" role="status">
      {message}
    </p>
  )
}

export function InboxNoticePage({
  title,
  message,
  session,
  csrfToken,
}: {
  title: string
  message: string
  session: StoredSession
  csrfToken: string
}) {
  return (
    <Layout title={title} loggedIn={Boolean(session.userId)} csrfToken={csrfToken} flash={session.flash}>
      <h1>{title}</h1>
      <InboxNotice message={message} />
      <p>
        <a href="/login">Log in</a> · <a href="/">Home</a>
      </p>
    </Layout>
  )
}

export type ResetFormProps = { csrfToken: string; email: string; error?: string; fieldErrors?: FieldErrors }

/** The new password, twice (`password`, `confirm`). */
export function ResetForm({ csrfToken, email, error, fieldErrors = {} }: ResetFormProps) {
  return (
    <AccountForm id="reset-form" action="/password/reset" csrfToken={csrfToken} error={error}>
      {/* Tells password managers which account the new password belongs to. */}
      <input type="hidden" name="username" value={email} autocomplete="username" />
      <NewPasswordFields
        name="password"
        confirmName="confirm"
        label="New password"
        hint="At least 8 characters, and not a common password. A few unrelated words work well."
        fieldErrors={fieldErrors}
      />
      <button type="submit" data-busy-label="Saving…">
        Set New Password
      </button>
    </AccountForm>
  )
}

export function ResetPage(props: ResetFormProps & { session: StoredSession }) {
  return (
    <Layout title="Choose a New Password" loggedIn={Boolean(props.session.userId)} csrfToken={props.csrfToken}>
      <h1>Choose a new password</h1>
      <p>
        For <strong>{props.email}</strong>. Every session of this account, on every device, will be logged out.
      </p>
      <ResetForm {...props} />
    </Layout>
  )
}

/** A mailed link that is unknown, used or expired (400). */
export function DeadLinkPage({
  session,
  csrfToken,
  again,
}: {
  session: StoredSession
  csrfToken: string
  /** Where to ask for a new link, and how that is said. */
  again: { href: string; text: string }
}) {
  return (
    <Layout title="Link Invalid" loggedIn={Boolean(session.userId)} csrfToken={csrfToken}>
      <h1>Link invalid</h1>
      <p id="link-error" class="form-error" role="alert">
        This link is invalid or has expired.
      </p>
      <p>
        <a href={again.href}>{again.text}</a>
      </p>
    </Layout>
  )
}
