import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { AccountForm } from '../partials/account-form.tsx'
import { CodeField } from '../partials/code-field.tsx'
import { CsrfField } from '../partials/csrf-field.tsx'
import { PasskeyNeedsScript } from '../partials/passkey-needs-script.tsx'

export type VerifyFormProps = { csrfToken: string; error?: string }

/** The second step's form, swapped in place by htmx after a wrong code. */
export function VerifyForm({ csrfToken, error }: VerifyFormProps) {
  return (
    <AccountForm id="verify-form" action="/login/verify" csrfToken={csrfToken}>
      <CodeField
        label="Code"
        hint="The 6-digit code from your authenticator app, or one of your recovery codes."
        error={error}
      />
      <button type="submit" data-busy-label="Verifying…">
        Verify
      </button>
    </AccountForm>
  )
}

/** GET /login/verify: the session is pending, signed in to nothing until this step succeeds. */
export function VerifyPage(props: VerifyFormProps & { session: StoredSession; hasPasskeys: boolean }) {
  return (
    <Layout
      title="Two-step sign-in"
      loggedIn={false}
      csrfToken={props.csrfToken}
      flash={props.session.flash}
      scripts={props.hasPasskeys ? ['webauthn.min.js', 'passkeys.js'] : []}
    >
      <h1>One more step</h1>
      <p>
        Your password was right. Now prove it is you with your authenticator app
        {props.hasPasskeys ? ' or a passkey' : ''}.
      </p>
      <VerifyForm {...props} />
      {props.hasPasskeys ? (
        <>
          <form
            id="passkey-verify-form"
            method="post"
            action="/login/passkey"
            data-passkey="sign-in"
            data-options="/login/passkey/options"
            hidden
          >
            <CsrfField token={props.csrfToken} />
            <input type="hidden" name="response" value="" />
            <p class="form-error" role="alert" data-passkey-error hidden></p>
            <button type="submit">Use a passkey instead</button>
          </form>
          <PasskeyNeedsScript action="Using a passkey" />
        </>
      ) : null}
      <form method="post" action="/logout" class="inline-form">
        <CsrfField token={props.csrfToken} />
        <button type="submit" class="link-button">
          Cancel and start over
        </button>
      </form>
    </Layout>
  )
}
