import { Layout } from '../layout.tsx'

export type ErrorPageProps = { status: number; title: string; message: string; requestId?: string }

export function ErrorPage({ status, title, message, requestId }: ErrorPageProps) {
  return (
    <Layout title={title} loggedIn={null} csrfToken={null}>
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
