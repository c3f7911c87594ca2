import type { FieldErrors } from '../../auth/forms.ts'
import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { AccountForm } from '../partials/account-form.tsx'
import { CsrfField } from '../partials/csrf-field.tsx'
import { EmailField } from '../partials/email-field.tsx'
import { fieldToFocus } from '../partials/form-field.tsx'
import { PasskeyNeedsScript } from '../partials/passkey-needs-script.tsx'
import { PasswordField } from '../partials/password-field.tsx'
import { SessionPanel } from '../partials/session-panel.tsx'

export type LoginFormProps = {
  csrfToken: string
  email?: string
  error?: string
  fieldErrors?: FieldErrors
  /** The same-origin path to return to after logging in (the page that asked for it). */
  next?: string
}

/** The login form, swapped in place by htmx after a failed attempt. */
export function LoginForm({ csrfToken, email, error, fieldErrors = {}, next }: LoginFormProps) {
  const focus = fieldToFocus(['email', 'password'], fieldErrors, error)
  return (
    <AccountForm id="login-form" action="/login" csrfToken={csrfToken} error={error}>
      {next ? <input type="hidden" name="next" value={next} /> : null}
      <EmailField
        value={email}
        error={fieldErrors.email}
        autocomplete="username webauthn"
        autofocus={focus === 'email'}
      />
      <PasswordField error={fieldErrors.password} autofocus={focus === 'password'} />
      <button type="submit" data-busy-label="Logging in…">
        Log In
      </button>
    </AccountForm>
  )
}

export type LoginPageProps = LoginFormProps & {
  session: StoredSession
  now: number
  /**
   * Offer passkeys in the email field's autofill as the page loads. Off after
   * a passkey just failed, so an authenticator that answers by itself cannot
   * send the same failing passkey again and again.
   */
  passkeyAutofill?: boolean
}

export function LoginPage({ passkeyAutofill = true, ...props }: LoginPageProps) {
  return (
    <Layout
      title="Log In"
      scripts={['webauthn.min.js', 'passkeys.js']}
      loggedIn={Boolean(props.session.userId)}
      csrfToken={props.csrfToken}
      flash={props.session.flash}
      path="/login"
    >
      <h1>Log In</h1>
      <LoginForm {...props} />
      {/* Also the form conditional mediation (passkeys in the email field's autofill) submits. */}
      <form
        id="passkey-login-form"
        method="post"
        action="/login/passkey"
        data-passkey="sign-in"
        data-passkey-autofill={passkeyAutofill || undefined}
        data-options="/login/passkey/options"
        hidden
      >
        <CsrfField token={props.csrfToken} />
        {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
        <input type="hidden" name="response" value="" />
        <p class="form-error" role="alert" data-passkey-error hidden></p>
        <button type="submit">Sign in with a passkey</button>
      </form>
      <PasskeyNeedsScript action="Signing in with a passkey" />
      <p>
        <a href="/password/forgot">Forgot your password?</a>
      </p>
      <p>
        No account yet? <a href="/signup">Sign Up</a>.
      </p>
      <SessionPanel session={props.session} now={props.now} csrfToken={props.csrfToken} />
    </Layout>
  )
}
