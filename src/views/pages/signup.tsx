import type { FieldErrors } from '../../auth/forms.ts'
import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { AccountForm } from '../partials/account-form.tsx'
import { FormField } from '../partials/form-field.tsx'
import { NewPasswordFields } from '../partials/new-password-fields.tsx'

export type SignupFormProps = { csrfToken: string; email?: string; error?: string; fieldErrors?: FieldErrors }

/** The sign-up form, swapped in place by htmx when it comes back with messages. */
export function SignupForm({ csrfToken, email, error, fieldErrors = {} }: SignupFormProps) {
  return (
    <AccountForm id="signup-form" action="/signup" csrfToken={csrfToken} error={error}>
      <FormField
        name="email"
        label="Email"
        type="email"
        value={email}
        error={fieldErrors.email}
        autocomplete="username"
      />
      <NewPasswordFields
        name="password"
        label="Password"
        hint="At least 8 characters, and not a common password. A few unrelated words work well."
        fieldErrors={fieldErrors}
      />
      <button type="submit">Sign Up</button>
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
    >
      <h1>Sign Up</h1>
      {props.session.email ? (
        <p>You are logged in as {props.session.email}. Signing up logs you in to the new account instead.</p>
      ) : null}
      <SignupForm {...props} />
      <p>
        Already have an account? <a href="/login">Log in</a>.
      </p>
    </Layout>
  )
}
