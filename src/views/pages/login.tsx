import type { FieldErrors } from '../../auth/forms.ts'
import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { AccountForm } from '../partials/account-form.tsx'
import { CsrfField } from '../partials/csrf-field.tsx'
import { FormField } from '../partials/form-field.tsx'
import { PasskeyNeedsScript } from '../partials/passkey-needs-script.tsx'
import { SessionPanel } from '../partials/session-panel.tsx'

export type LoginFormProps = { csrfToken: string; email?: string; error?: string; fieldErrors?: FieldErrors }

/** The login form, swapped in place by htmx after a failed attempt. */
export function LoginForm({ csrfToken, email, error, fieldErrors = {} }: LoginFormProps) {
  return (
    <AccountForm id="login-form" action="/login" csrfToken={csrfToken} error={error}>
      <FormField
        name="email"
        label="Email"
        type="email"
        value={email}
        error={fieldErrors.email}
        autocomplete="username webauthn"
      />
      <FormField
        name="password"
        label="Password"
        type="password"
        error={fieldErrors.password}
        autocomplete="current-password"
      />
      <button type="submit">Log In</button>
    </AccountForm>
  )
}

export function LoginPage(props: LoginFormProps & { session: StoredSession; now: number }) {
  return (
    <Layout
      title="Log In"
      scripts={['webauthn.min.js', 'passkeys.js']}
      loggedIn={Boolean(props.session.userId)}
      csrfToken={props.csrfToken}
      flash={props.session.flash}
    >
      <h1>Log In</h1>
      <LoginForm {...props} />
      {/* Also the form conditional mediation (passkeys in the email field's autofill) submits. */}
      <form
        id="passkey-login-form"
        method="post"
        action="/login/passkey"
        data-passkey="sign-in"
        data-passkey-autofill
        data-options="/login/passkey/options"
        hidden
      >
        <CsrfField token={props.csrfToken} />
        <input type="hidden" name="response" value="" />
        <p class="form-error" role="alert" data-passkey-error hidden></p>
        <button type="submit">Sign in with a passkey</button>
      </form>
      <PasskeyNeedsScript action="Signing in with a passkey" />
      <p>
        <a href="/password/forgot">Forgot your password?</a>
      </p>
      <p>
        No account yet? <a href="/signup">Sign up</a>.
      </p>
      <SessionPanel session={props.session} now={props.now} csrfToken={props.csrfToken} />
    </Layout>
  )
}
