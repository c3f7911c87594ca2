import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { AccountForm } from '../partials/account-form.tsx'
import { CodeField } from '../partials/code-field.tsx'
import { CsrfField } from '../partials/csrf-field.tsx'
import { PasskeyNeedsScript } from '../partials/passkey-needs-script.tsx'
import { PasswordField } from '../partials/password-field.tsx'
import type { SessionTimeoutProps } from '../partials/session-timeout.tsx'

export type ReauthFormProps = {
  csrfToken: string
  email: string
  next: string
  error?: string
  /** The account has the authenticator app on: confirming takes a code too (full re-authentication). */
  askCode: boolean
  /** Whether the password field takes the focus: not when the passkey's error should. */
  focusPassword?: boolean
}

export const REAUTH_TITLE = "Confirm it's you"

/** The password prompt before a sensitive action; htmx swaps it in place after a wrong password. */
export function ReauthForm({ csrfToken, email, next, error, askCode, focusPassword = true }: ReauthFormProps) {
  return (
    <AccountForm id="reauth-form" action="/account/confirm" csrfToken={csrfToken} error={error}>
      <input type="hidden" name="next" value={next} />
      {/* Lets password managers tell which account's password to fill in. */}
      <input type="email" name="username" value={email} autocomplete="username" hidden readonly />
      <PasswordField autofocus={focusPassword} />
      {askCode ? (
        <CodeField label="Code" hint="The 6-digit code from your authenticator app, or one of your recovery codes." />
      ) : null}
      <button type="submit" data-busy-label="Confirming…">
        Confirm
      </button>
    </AccountForm>
  )
}

/**
 * How a passkey can confirm instead: its form (a full page, which loads the
 * passkey script), or a link to that page (an htmx fragment, swapped into a
 * page that did not load it).
 */
export type PasskeyConfirm = 'form' | 'link'

export type ReauthSectionProps = ReauthFormProps & {
  minutes: number
  /** Set when the user has a passkey. */
  passkey?: PasskeyConfirm
  /** Why the last passkey did not confirm. */
  passkeyError?: string
}

/** "Use a passkey instead": the WebAuthn ceremony (public/passkeys.js), answered by a plain form post. */
function ConfirmPasskeyForm({ csrfToken, next, error }: { csrfToken: string; next: string; error?: string }) {
  return (
    <>
      <form
        id="reauth-passkey-form"
        method="post"
        action="/account/confirm/passkey"
        data-passkey="confirm"
        data-options="/account/confirm/passkey/options"
        hidden
      >
        <CsrfField token={csrfToken} />
        <input type="hidden" name="next" value={next} />
        <input type="hidden" name="response" value="" />
        <p class="form-error" role="alert" data-passkey-error hidden={!error} tabindex={-1} autofocus={Boolean(error)}>
          {error}
        </p>
        <button type="submit">Use a passkey instead</button>
      </form>
      <PasskeyNeedsScript action="Using a passkey" />
    </>
  )
}

/** Why the password is asked again, then the form: the same markup as a page section and as an htmx fragment. */
export function ReauthSection({ passkey, passkeyError, ...props }: ReauthSectionProps) {
  return (
    <section id="reauth" aria-labelledby="reauth-title">
      <h1 id="reauth-title">{REAUTH_TITLE}</h1>
      <p>
        This changes how your account is protected, so enter your password
        {props.askCode ? ' and a code from your authenticator app' : ''} again{passkey ? ', or use a passkey' : ''}. You
        will not be asked again for {props.minutes === 1 ? 'a minute' : `${props.minutes} minutes`}. Then repeat what
        you were doing: nothing is done for you.
      </p>
      <ReauthForm {...props} focusPassword={!passkeyError} />
      {passkey === 'form' ? (
        <ConfirmPasskeyForm csrfToken={props.csrfToken} next={props.next} error={passkeyError} />
      ) : null}
      {passkey === 'link' ? (
        <p>
          <a href={`/account/confirm?next=${encodeURIComponent(props.next)}`}>Use a passkey instead</a>
        </p>
      ) : null}
    </section>
  )
}

export function ReauthPage(props: ReauthSectionProps & { session: StoredSession; timeout?: SessionTimeoutProps }) {
  return (
    <Layout
      title={REAUTH_TITLE}
      loggedIn
      csrfToken={props.csrfToken}
      flash={props.session.flash}
      timeout={props.timeout}
      scripts={props.passkey === 'form' ? ['webauthn.min.js', 'passkeys.js'] : []}
    >
      <ReauthSection {...props} />
    </Layout>
  )
}
