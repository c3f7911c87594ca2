import type { SecurityStatus } from '../../auth/second-factors.ts'
import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { CodeField } from '../partials/code-field.tsx'
import { CsrfField } from '../partials/csrf-field.tsx'
import { PasskeyNeedsScript } from '../partials/passkey-needs-script.tsx'
import type { SessionTimeoutProps } from '../partials/session-timeout.tsx'
import { Timestamp } from '../partials/timestamp.tsx'

export type SecurityPageProps = {
  csrfToken: string
  status: SecurityStatus
  session: StoredSession
  now: number
  error?: string
  /** Why a passkey's new name was refused: shown at that passkey's name field. */
  renameError?: { passkeyId: string; message: string }
  timeout?: SessionTimeoutProps
}

function AuthenticatorApp({ csrfToken, status }: Pick<SecurityPageProps, 'csrfToken' | 'status'>) {
  if (status.totp !== 'on') {
    return (
      <section class="card" aria-labelledby="totp-heading" id="totp">
        <h2 id="totp-heading">Authenticator app</h2>
        <p>
          <strong>Off.</strong> With an authenticator app (Google Authenticator, 1Password, Aegis, …), signing in takes
          your password and a 6-digit code from your phone.
        </p>
        <form method="post" action="/account/security/totp/setup" class="inline-form">
          <CsrfField token={csrfToken} />
          {status.totp === 'enrolling' ? <input type="hidden" name="continuing" value="1" /> : null}
          <button type="submit">
            {status.totp === 'enrolling' ? 'Continue setting up' : 'Set up an authenticator app'}
          </button>
        </form>
      </section>
    )
  }
  return (
    <section class="card" aria-labelledby="totp-heading" id="totp">
      <h2 id="totp-heading">Authenticator app</h2>
      <p>
        <strong>On.</strong> Signing in with your password also asks for a code from your app.
      </p>
      <p id="recovery-codes-left">
        Recovery codes left: <strong>{status.recoveryCodesLeft}</strong> of 10.
        {status.recoveryCodesLeft <= 3 ? ' Make new ones soon.' : ''}
      </p>
      <form method="post" action="/account/security/recovery-codes" class="inline-form">
        <CsrfField token={csrfToken} />
        <button type="submit" data-busy-label="Making new codes…">
          Make new recovery codes
        </button>
      </form>
      <form id="totp-disable-form" method="post" action="/account/security/totp/disable" class="stacked">
        <CsrfField token={csrfToken} />
        <CodeField label="Code to turn it off" hint="A current code from your app, or one of your recovery codes." />
        <button type="submit" data-busy-label="Turning off…">
          Turn off the authenticator app
        </button>
      </form>
    </section>
  )
}

function Passkeys({
  csrfToken,
  status,
  now,
  renameError,
}: Pick<SecurityPageProps, 'csrfToken' | 'status' | 'now' | 'renameError'>) {
  return (
    <section class="card" aria-labelledby="passkeys-heading" id="passkeys">
      <h2 id="passkeys-heading">Passkeys</h2>
      <p>
        A passkey signs you in with your device's screen lock or a security key, with no password: it cannot be phished
        or reused on another site. After a password, it also counts as the second step.
      </p>
      {status.passkeys.length === 0 ? (
        <p>No passkeys yet.</p>
      ) : (
        <ul class="passkey-list">
          {status.passkeys.map((passkey) => {
            const error = renameError?.passkeyId === passkey.id ? renameError.message : undefined
            return (
              <li class="passkey" data-passkey-id={passkey.id}>
                <p>
                  <strong>{passkey.name}</strong> · added <Timestamp ms={passkey.createdAt.getTime()} now={now} /> ·
                  last used{' '}
                  {passkey.lastUsedAt ? <Timestamp ms={passkey.lastUsedAt.getTime()} now={now} relative /> : 'never'}
                </p>
                <form method="post" action={`/account/security/passkeys/${passkey.id}/rename`} class="inline-form">
                  <CsrfField token={csrfToken} />
                  <label for={`rename-${passkey.id}`}>New name for {passkey.name}</label>
                  <input
                    id={`rename-${passkey.id}`}
                    name="name"
                    type="text"
                    maxlength={64}
                    required
                    value={passkey.name}
                    class={error ? 'invalid' : undefined}
                    autofocus={Boolean(error)}
                    aria-invalid={error ? 'true' : undefined}
                    aria-describedby={error ? `rename-${passkey.id}-error` : undefined}
                  />
                  <button type="submit" data-busy-label="Renaming…">
                    Rename
                  </button>
                  {error ? (
                    <p id={`rename-${passkey.id}-error`} class="field-error">
                      {error}
                    </p>
                  ) : null}
                </form>
                <form method="post" action={`/account/security/passkeys/${passkey.id}/remove`} class="inline-form">
                  <CsrfField token={csrfToken} />
                  <button type="submit" aria-label={`Remove ${passkey.name}`} data-busy-label="Removing…">
                    Remove
                  </button>
                </form>
              </li>
            )
          })}
        </ul>
      )}
      <form
        id="passkey-add-form"
        class="stacked"
        method="post"
        action="/account/security/passkeys"
        data-passkey="register"
        data-options="/account/security/passkeys/options"
        hidden
      >
        <CsrfField token={csrfToken} />
        <input type="hidden" name="response" value="" />
        <div class="field">
          <label for="field-passkey-name">Passkey name</label>
          <input
            id="field-passkey-name"
            name="name"
            type="text"
            maxlength={64}
            required
            autocomplete="off"
            aria-describedby="field-passkey-name-hint"
          />
          <p id="field-passkey-name-hint" class="hint">
            So you can tell them apart, e.g. "Work laptop" or "Phone".
          </p>
        </div>
        <p class="form-error" role="alert" data-passkey-error hidden></p>
        <button type="submit">Add a passkey</button>
      </form>
      <PasskeyNeedsScript action="Adding a passkey" />
    </section>
  )
}

/** GET /account/security: the authenticator app, recovery codes and passkeys of the signed-in user. */
export function SecurityPage({ csrfToken, status, session, now, error, renameError, timeout }: SecurityPageProps) {
  return (
    <Layout
      title="Security"
      loggedIn
      csrfToken={csrfToken}
      flash={session.flash}
      path="/account/security"
      timeout={timeout}
      scripts={['webauthn.min.js', 'passkeys.js']}
    >
      <h1>Security</h1>
      <p>
        Ways to prove it is you when {session.email} signs in. Every change here logs out your other browsers, and asks
        you to confirm it is you if you have not done so in the last few minutes.
      </p>
      {error ? (
        <p class="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <AuthenticatorApp csrfToken={csrfToken} status={status} />
      <Passkeys csrfToken={csrfToken} status={status} now={now} renameError={renameError} />
    </Layout>
  )
}
