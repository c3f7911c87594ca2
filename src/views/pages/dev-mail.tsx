import type { OutboxEntry } from '../../mail/dev-outbox.ts'
import { Layout } from '../layout.tsx'

const LINK = /(https?:\/\/[^\s<>"]+)/

/** Plain text with its URLs made clickable, everything else escaped by JSX. */
function TextWithLinks({ text }: { text: string }) {
  return (
    <pre class="mail-text">
      {text.split(LINK).map((part, index) => (index % 2 === 1 ? <a href={part}>{part}</a> : part))}
    </pre>
  )
}

/** GET /dev/mail: what the app would have mailed, newest first (development only). */
export function DevMailPage({ entries, loggedIn }: { entries: readonly OutboxEntry[]; loggedIn: boolean | null }) {
  return (
    <Layout title="Dev outbox" loggedIn={loggedIn} csrfToken={null}>
      <h1>Dev outbox</h1>
      <p class="hint">
        No SMTP_URL is set, so mail stays here instead of being sent: the last 50, newest first. This page does not
        exist in production.
      </p>
      {entries.length === 0 ? <p id="dev-mail-empty">No mail yet.</p> : null}
      <ol id="dev-mail" class="dev-mail">
        {entries.map((mail) => (
          <li id={`mail-${mail.id}`}>
            <h2>{mail.subject}</h2>
            <p class="hint">
              To <strong>{mail.to}</strong> at{' '}
              <time datetime={new Date(mail.sentAt).toISOString()}>{new Date(mail.sentAt).toISOString()}</time>
            </p>
            <TextWithLinks text={mail.text} />
          </li>
        ))}
      </ol>
    </Layout>
  )
}
