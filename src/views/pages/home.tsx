import type { Beer } from '../../beer/generator.ts'
import type { StoredSession } from '../../session/store.ts'
import { Layout } from '../layout.tsx'
import { BeerResult, PourStatus } from '../partials/beer-result.tsx'
import { CsrfField } from '../partials/csrf-field.tsx'
import { SessionPanel } from '../partials/session-panel.tsx'

export type HomeProps = {
  session: StoredSession
  csrfToken: string
  now: number
  /** The beer just poured (shown once after a pour without JavaScript), or null for the placeholder. */
  beer: Beer | null | 'error'
  /** See PanelProps.clock. */
  clock?: string
}

export function HomePage({ session, csrfToken, now, beer, clock }: HomeProps) {
  return (
    <Layout title="Home" loggedIn={Boolean(session.userId)} csrfToken={csrfToken} flash={session.flash} path="/">
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
