import type { Beer } from '../../beer/generator.ts'
import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { BeerResult, PourStatus } from '../partials/beer-result.tsx'
import { CsrfField } from '../partials/csrf-field.tsx'
import { SessionPanel } from '../partials/session-panel.tsx'
import type { SessionLifetimes } from '../partials/session-timeout.tsx'

export type HomeProps = {
  session: StoredSession
  csrfToken: string
  now: number
  /** The beer just poured (shown once after a pour without JavaScript), or null for the placeholder. */
  beer: Beer | null | 'error'
  /** See PanelProps.clock. */
  clock?: string
  /** Given, a signed-in user gets the timeout warning. */
  lifetimes?: SessionLifetimes
}

export function HomePage({ session, csrfToken, now, beer, clock, lifetimes }: HomeProps) {
  const timeout = lifetimes ? { session, now, lifetimes, csrfToken } : undefined
  return (
    <Layout
      title="Home"
      loggedIn={Boolean(session.userId)}
      csrfToken={csrfToken}
      flash={session.flash}
      path="/"
      timeout={timeout}
    >
      <div class="hero">
        <h1>Click To Generate a Craft Beer Name!</h1>
        <form
          id="beer-form"
          method="post"
          action="/beer"
          hx-post="/beer"
          hx-target="#beer"
          hx-swap="innerHTML"
          data-retry-on-csrf
        >
          <CsrfField token={csrfToken} />
          <button type="submit" class="pour" data-busy-label="Pouring…">
            Pour Another
          </button>
        </form>
        <div id="beer" class="beer">
          <BeerResult beer={beer} />
        </div>
        <PourStatus beer={beer} beers={session.beers} />
      </div>
      <SessionPanel session={session} now={now} csrfToken={csrfToken} clock={clock} />
    </Layout>
  )
}
