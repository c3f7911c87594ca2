import type { FieldErrors } from '../../auth/forms.ts'
import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { AccountForm } from '../partials/account-form.tsx'
import { EmailField } from '../partials/email-field.tsx'
import { fieldToFocus } from '../partials/form-field.tsx'
import { NewPasswordFields } from '../partials/new-password-fields.tsx'

export type SignupFormProps = { csrfToken: string; email?: string; error?: string; fieldErrors?: FieldErrors }

/** The sign-up form, swapped in place by htmx when it comes back with messages. */
export function SignupForm({ csrfToken, email, error, fieldErrors = {} }: SignupFormProps) {
  const focus = fieldToFocus(['email', 'password', 'password_confirm'], fieldErrors, error)
  return (
    <AccountForm id="signup-form" action="/signup" csrfToken={csrfToken} error={error}>
      <EmailField value={email} error={fieldErrors.email} autocomplete="username" autofocus={focus === 'email'} />
      <NewPasswordFields
        name="password"
        label="Password"
        hint="At least 8 characters, and not a common password. A few unrelated words work well."
        fieldErrors={fieldErrors}
        focus={focus}
      />
      <button type="submit" data-busy-label="Signing up…">
        Sign Up
      </button>
    </AccountForm>
  )
}

export function SignupPage(props: SignupFormProps & { session: StoredSession }) {
  return (
    <Layout
      title="Sign Up"
      loggedIn={Boolean(props.session.userId)}
      csrfToken={props.csrfToken}
      flash={props.session.flash}
      path="/signup"
    >
      <h1>Sign Up</h1>
      {props.session.email ? (
        <p>You are logged in as {props.session.email}. Signing up logs you in to the new account instead.</p>
      ) : null}
      <SignupForm {...props} />
      <p>
        Already have an account? <a href="/login">Log In</a>.
      </p>
    </Layout>
  )
}
