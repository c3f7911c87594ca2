import type { FieldErrors } from '../../auth/forms.ts'
import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { AccountForm } from '../partials/account-form.tsx'
import { fieldToFocus } from '../partials/form-field.tsx'
import { NewPasswordFields } from '../partials/new-password-fields.tsx'
import { PasswordField } from '../partials/password-field.tsx'
import type { SessionTimeoutProps } from '../partials/session-timeout.tsx'

export type PasswordFormProps = { csrfToken: string; email: string; error?: string; fieldErrors?: FieldErrors }

/** The password change form; every field is cleared whenever it comes back. */
export function PasswordForm({ csrfToken, email, error, fieldErrors = {} }: PasswordFormProps) {
  const focus = fieldToFocus(['current_password', 'new_password', 'new_password_confirm'], fieldErrors, error)
  return (
    <AccountForm id="password-form" action="/account/password" csrfToken={csrfToken} error={error}>
      {/* Lets password managers tell which account's password is changing. */}
      <input type="email" name="username" value={email} autocomplete="username" hidden readonly />
      <PasswordField
        name="current_password"
        label="Current password"
        error={fieldErrors.current_password}
        autofocus={focus === 'current_password'}
      />
      <NewPasswordFields
        name="new_password"
        label="New password"
        hint="At least 8 characters, and not a common password."
        fieldErrors={fieldErrors}
        focus={focus}
      />
      <button type="submit" data-busy-label="Changing password…">
        Change Password
      </button>
    </AccountForm>
  )
}

export function PasswordPage(props: PasswordFormProps & { session: StoredSession; timeout?: SessionTimeoutProps }) {
  return (
    <Layout
      title="Change Password"
      loggedIn
      csrfToken={props.csrfToken}
      flash={props.session.flash}
      path="/account/password"
      timeout={props.timeout}
    >
      <h1>Change Password</h1>
      <p>
        Changing your password logs out every other browser signed in as {props.session.email}. This one stays logged in
        with a new session.
      </p>
      <PasswordForm {...props} />
    </Layout>
  )
}
