import { Layout } from '../layout.tsx'

export type ErrorPageProps = {
  status: number
  title: string
  message: string
  requestId?: string
  /** For the nav; null shows neither Log In nor Log Out (when it cannot be known). */
  loggedIn: boolean | null
  csrfToken: string | null
}

/** The full page for an error status; the error handler (http/) is handed this by the app. */
export function ErrorPage({ status, title, message, requestId, loggedIn, csrfToken }: ErrorPageProps) {
  return (
    <Layout title={title} loggedIn={loggedIn} csrfToken={csrfToken}>
      <h1>{title}</h1>
      <p class="form-error" role="alert">
        {message}
      </p>
      <p class="hint">
        Error {status}
        {requestId ? ` · request ${requestId}` : ''}
      </p>
      <p>
        <a href="/">Back to the home page</a>
      </p>
    </Layout>
  )
}
