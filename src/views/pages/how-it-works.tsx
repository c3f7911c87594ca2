import { assetUrl } from '../../assets.ts'
import { Layout } from '../layout.tsx'
import { PourStatus } from '../partials/beer-result.tsx'
import { CsrfField } from '../partials/csrf-field.tsx'
import { SessionDiagram } from '../partials/session-diagram.tsx'
import { type Inspection, SessionInspector } from '../partials/session-inspector.tsx'

export type HowItWorksProps = { inspection: Inspection; csrfToken: string; loggedIn: boolean; flash?: string }

export function HowItWorksPage({ inspection, csrfToken, loggedIn, flash }: HowItWorksProps) {
  return (
    <Layout title="How it works" loggedIn={loggedIn} csrfToken={csrfToken} flash={flash} path="/how-it-works">
      <link rel="stylesheet" href={assetUrl('how-it-works.css')} />
      <h1>How sessions work here</h1>
      <p>
        HTTP forgets you between requests. A session is how a site remembers: your browser keeps a random token in a
        cookie, and the server keeps what it knows about you under a name derived from that token. Below is your own
        session, read live from Redis.
      </p>

      <div id="how-actions" class="how-actions">
        <form
          method="post"
          action="/beer"
          hx-post="/beer"
          hx-target="#how-beer"
          hx-swap="innerHTML"
          class="inline-form"
          data-retry-on-csrf
        >
          <CsrfField token={csrfToken} />
          <button type="submit" data-busy-label="Pouring…">
            Pour a beer
          </button>
        </form>
        {loggedIn ? (
          <form method="post" action="/logout" class="inline-form">
            <CsrfField token={csrfToken} />
            <button type="submit" data-busy-label="Logging out…">
              Log Out
            </button>
          </form>
        ) : (
          <a class="button" href="/login">
            Log In
          </a>
        )}
        <div id="how-beer" class="how-beer"></div>
        <PourStatus beer={null} beers={0} />
      </div>

      <SessionInspector {...inspection} />

      <h2>The life of a session</h2>
      <SessionDiagram />
      <ol class="how-steps">
        <li>
          <strong>First visit.</strong> The app makes a 192-bit random token, sends it in an HttpOnly cookie with a
          signature, and creates the hash above under the token's SHA-256. Nothing in the cookie is stored in Redis.
        </li>
        <li>
          <strong>Pour.</strong> One Lua script counts the beer and slides the idle expiry in a single atomic step, so
          ten pours at once count ten.
        </li>
        <li>
          <strong>Log in.</strong> The old session is read and deleted in one step and a new one, with a new token and
          ID, takes its place: anyone who knew the old token has nothing. The new ID is added to your per-user index,
          which is what "Your sessions" lists.
        </li>
        <li>
          <strong>Log out.</strong> The hash is deleted on the server and the cookie cleared; a copied cookie is now
          worth nothing. Changing your password, or revoking a session, does the same to your other browsers.
        </li>
      </ol>
    </Layout>
  )
}
