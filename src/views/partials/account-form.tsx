import type { Child } from 'hono/jsx'
import { CsrfField } from './csrf-field.tsx'

type AccountFormProps = { id: string; action: string; csrfToken: string; error?: string; children?: Child }

/**
 * A POST form that works without JavaScript and, with htmx, replaces itself
 * with the form the server sends back (with its messages); a form-wide error
 * is announced to screen readers.
 */
export function AccountForm({ id, action, csrfToken, error, children }: AccountFormProps) {
  return (
    <form id={id} class="stacked" method="post" action={action} hx-post={action} hx-target="this" hx-swap="outerHTML">
      <CsrfField token={csrfToken} />
      {error ? (
        <p class="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {children}
    </form>
  )
}
