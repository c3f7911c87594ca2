import type { Child } from 'hono/jsx'
import { Layout } from '../layout.tsx'

/**
 * A form refused for load (503), on a page drawn without the session: no
 * panel, and the nav of a page that does not look at it. Its token is the one
 * the refused request carried, so the refusal costs no Redis command however
 * many arrive at once.
 */
export function BusyPage({ title, csrfToken, children }: { title: string; csrfToken: string; children: Child }) {
  return (
    <Layout title={title} loggedIn={null} csrfToken={csrfToken}>
      <h1>{title}</h1>
      {children}
    </Layout>
  )
}

/** A busy answer's markup: to htmx (`page` false) the form alone, else the whole BusyPage around it. */
export function busyMarkup({
  page,
  title,
  csrfToken,
  form,
}: {
  page: boolean
  title: string
  csrfToken: string
  form: Child
}): string {
  return String(
    page ? (
      <BusyPage title={title} csrfToken={csrfToken}>
        {form}
      </BusyPage>
    ) : (
      form
    ),
  )
}
