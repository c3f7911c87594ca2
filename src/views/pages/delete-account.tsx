import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { AccountForm } from '../partials/account-form.tsx'
import { EmailField } from '../partials/email-field.tsx'
import type { SessionTimeoutProps } from '../partials/session-timeout.tsx'

export type DeleteAccountFormProps = { csrfToken: string; email: string; error?: string }

/** Asks for the account's email as the confirmation; swapped in place by htmx when it does not match. */
export function DeleteAccountForm({ csrfToken, email, error }: DeleteAccountFormProps) {
  return (
    <AccountForm id="delete-account-form" action="/account/delete" csrfToken={csrfToken}>
      <EmailField label={`Type ${email} to confirm`} error={error} autocomplete="off" hint="This cannot be undone." />
      <button type="submit" class="danger" data-busy-label="Deleting…">
        Delete my account
      </button>
    </AccountForm>
  )
}

/** GET /account/delete: what deleting the account does, then the form. */
export function DeleteAccountPage(
  props: DeleteAccountFormProps & { session: StoredSession; timeout?: SessionTimeoutProps },
) {
  return (
    <Layout
      title="Delete your account"
      loggedIn
      csrfToken={props.csrfToken}
      flash={props.session.flash}
      timeout={props.timeout}
    >
      <h1>Delete your account</h1>
      <p>Deleting your account:</p>
      <ul>
        <li>removes {props.email} and its password for good: logging in with them no longer works;</li>
        <li>logs out every browser signed in to it, this one included, at once;</li>
        <li>erases your account activity.</li>
      </ul>
      <p>
        The email address is free again afterwards: you can sign up with it as a new account. You will be asked for your
        password first if you have not entered it in the last few minutes.
      </p>
      <DeleteAccountForm {...props} />
    </Layout>
  )
}
