import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { CsrfField } from '../partials/csrf-field.tsx'

export type ConfirmLinkProps = {
  /** The page's title (title case, as the others'); its heading says the same in sentence case. */
  title: string
  heading: string
  /** What following the link will do, and why a click is asked for. */
  explanation: string
  /** The link's own path: the button posts back to it. */
  action: string
  button: string
  session: StoredSession
  csrfToken: string
}

/**
 * A mailed link opened somewhere it cannot act at once: one button does what
 * the link is for. Mail scanners fetch every link in a message, and a link
 * that acted on that fetch would be used up (or worse) before its reader
 * clicked it; few of them press buttons.
 */
export function ConfirmLinkPage({ title, heading, explanation, action, button, session, csrfToken }: ConfirmLinkProps) {
  return (
    <Layout title={title} loggedIn={Boolean(session.userId)} csrfToken={csrfToken} flash={session.flash}>
      <h1>{heading}</h1>
      <p>{explanation}</p>
      <form id="confirm-link-form" method="post" action={action}>
        <CsrfField token={csrfToken} />
        <button type="submit" data-busy-label="Confirming…">
          {button}
        </button>
      </form>
    </Layout>
  )
}
