import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import type { SessionTimeoutProps } from '../partials/session-timeout.tsx'

export type RecoveryCodesProps = {
  csrfToken: string
  codes: string[]
  session: StoredSession
  first: boolean
  timeout?: SessionTimeoutProps
}

/*
 * Shown exactly once: only hashes are kept. The download is a data: URL, so
 * it works without JavaScript and sends the codes nowhere; the copy button is
 * added by public/passkeys.js where the clipboard is available.
 */
export function RecoveryCodesPage({ csrfToken, codes, session, first, timeout }: RecoveryCodesProps) {
  const text = `Taproom recovery codes for ${session.email}\nEach code works once.\n\n${codes.join('\n')}\n`
  return (
    <Layout
      title="Your recovery codes"
      loggedIn
      csrfToken={csrfToken}
      flash={session.flash}
      path="/account/security"
      timeout={timeout}
      scripts={['passkeys.js']}
    >
      <h1>{first ? 'Authenticator app on: save your recovery codes' : 'Your new recovery codes'}</h1>
      <p>
        If you lose your phone, each of these codes signs you in once in place of an app code. Keep them somewhere safe,
        like a password manager. <strong>This is the only time they are shown.</strong>
        {first ? '' : ' Your earlier codes no longer work.'}
      </p>
      <ul id="recovery-codes" class="recovery-codes">
        {codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <p class="actions">
        <a
          class="button"
          href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`}
          download="taproom-recovery-codes.txt"
        >
          Download
        </a>{' '}
        <button type="button" data-copy={codes.join('\n')} hidden>
          Copy
        </button>
        <span role="status" aria-live="polite" data-copy-status></span>
      </p>
      <p>
        <a href="/account/security">I have saved them: back to Security</a>
      </p>
    </Layout>
  )
}
