import type { Child } from 'hono/jsx'
import { CsrfField } from './csrf-field.tsx'

type AccountFormProps = { id: string; action: string; csrfToken: string; error?: string; children?: Child }

/**
 * A POST form that works without JavaScript and, with htmx, replaces itself
 * with the form the server sends back (with its messages). A form-wide error
 * is announced and takes the focus (autofocus, which htmx honours after a swap
 * too), so keyboard and screen reader users land on what went wrong.
 */
export function AccountForm({ id, action, csrfToken, error, children }: AccountFormProps) {
  return (
    <form id={id} class="stacked" method="post" action={action} hx-post={action} hx-target="this" hx-swap="outerHTML">
      <CsrfField token={csrfToken} />
      {error ? (
        <p id={`${id}-error`} class="form-error" role="alert" tabindex={-1} autofocus>
          {error}
        </p>
      ) : null}
      {children}
    </form>
  )
}
