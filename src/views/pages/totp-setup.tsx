import { raw } from 'hono/html'
import { renderSVG } from 'uqr'
import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { CodeField } from '../partials/code-field.tsx'
import { CsrfField } from '../partials/csrf-field.tsx'
import type { SessionTimeoutProps } from '../partials/session-timeout.tsx'

export type TotpSetupProps = {
  csrfToken: string
  secret: string
  uri: string
  error?: string
  timeout?: SessionTimeoutProps
}

/*
 * A plain form, not swapped by htmx: its answer is the one page that ever
 * shows the recovery codes, which must be a page of its own.
 */
function TotpConfirmForm({ csrfToken, error }: Pick<TotpSetupProps, 'csrfToken' | 'error'>) {
  return (
    <form id="totp-confirm-form" class="stacked" method="post" action="/account/security/totp/confirm">
      <CsrfField token={csrfToken} />
      <CodeField
        label="Code from your app"
        hint="The 6 digits your app shows for Taproom now."
        error={error}
        numericOnly
      />
      <button type="submit" data-busy-label="Turning on…">
        Turn on
      </button>
    </form>
  )
}

/*
 * The QR code is inline SVG (uqr draws it from our own URI; it holds no
 * script or style), so it shows without JavaScript and under the CSP.
 */
export function TotpSetupPage(props: TotpSetupProps & { session: StoredSession }) {
  const grouped = props.secret.match(/.{1,4}/g)!.join(' ')
  return (
    <Layout
      title="Set up an authenticator app"
      loggedIn
      csrfToken={props.csrfToken}
      flash={props.session.flash}
      path="/account/security"
      timeout={props.timeout}
    >
      <h1>Set up an authenticator app</h1>
      <ol class="steps">
        <li>
          <p>Scan this code with your authenticator app:</p>
          <figure class="qr" role="img" aria-label="QR code of your authenticator secret">
            {raw(renderSVG(props.uri, { border: 2 }))}
          </figure>
          <p>
            Or type this key into the app: <code id="totp-secret">{grouped}</code> (time-based, 6 digits, every 30
            seconds).
          </p>
          <details>
            <summary>Setup link</summary>
            <p>
              <code id="totp-uri" class="wrap">
                {props.uri}
              </code>
            </p>
          </details>
        </li>
        <li>
          <p>
            Type the code the app now shows, to prove it is set up (within 15 minutes: after that, this key is dropped):
          </p>
          <TotpConfirmForm csrfToken={props.csrfToken} error={props.error} />
        </li>
      </ol>
      <p>
        <a href="/account/security">Back to Security</a> (the app stays off until you confirm a code).
      </p>
    </Layout>
  )
}
