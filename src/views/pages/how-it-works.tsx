import { assetUrl } from '../../assets.ts'
import { Layout } from '../layout.tsx'
import { PourStatus } from '../partials/beer-result.tsx'
import { CookieView, type CookieViewProps } from '../partials/cookie-view.tsx'
import { CsrfField } from '../partials/csrf-field.tsx'
import { SessionDiagram } from '../partials/session-diagram.tsx'
import { type Inspection, SessionInspector } from '../partials/session-inspector.tsx'

export type HowItWorksProps = {
  inspection: Inspection
  csrfToken: string
  loggedIn: boolean
  flash?: string
  cookie: CookieViewProps
}

/* The Redis commands a request makes, each with what it does for the session. */
const COMMANDS: [string, string][] = [
  [
    'EVALSHA',
    "runs one of the app's Lua scripts by its hash: every step below happens inside one, in one round trip, atomically",
  ],
  ['HGETALL s:‹id›', 'reads every field of your session hash (every page view that uses the session)'],
  ['HINCRBY s:‹id› b 1', 'counts a pour in place, so ten pours at once count ten'],
  ['PEXPIRE s:‹id› ‹ms›', 'slides the idle expiry, at most once a minute; Redis deletes the key when it runs out'],
  ['PEXPIREAT u:‹user› ‹time›', 'keeps the per-user index alive exactly as long as its longest-lived session'],
  ['PTTL s:‹id›', 'milliseconds left before the key expires: the countdowns on these pages start from it'],
  ['HSET s:‹id› …', 'writes a new session (first visit, login) or a one-time notice (f)'],
  ['HDEL s:‹id› f', 'removes the notice once a page has shown it'],
  ['DEL s:‹id›', 'ends a session: logout, a revoke, or login replacing the old session with a new one'],
  ['ZADD u:‹user› ‹deadline› ‹id›', 'records a login in your per-user index, scored by its absolute deadline'],
  ['ZREMRANGEBYSCORE u:‹user›', 'drops index entries past their deadline whenever the index is read or added to'],
  [
    'ZRANGE / ZCARD / ZPOPMIN u:‹user›',
    'lists your sessions, counts them, and ends the oldest beyond the per-user cap',
  ],
]

export function HowItWorksPage({ inspection, csrfToken, loggedIn, flash, cookie }: HowItWorksProps) {
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
          <input type="hidden" name="back" value="/how-it-works" />
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

      <section class="card try-this" aria-labelledby="try-this-heading">
        <h2 id="try-this-heading">Try this</h2>
        <ol>
          <li>
            Press <strong>Pour a beer</strong> and watch the record below: the fields that changed are marked, and the
            TTL jumps back up if the expiry slid.
          </li>
          <li>Open this page in a second browser (or a private window): it gets a session, and a key, of its own.</li>
          <li>
            <a href="/login">Log In</a> there. Its session is replaced by a new one with a new ID, now in your per-user
            index.
          </li>
          <li>
            Back here, log in too, open <a href="/account/sessions">Your sessions</a> and revoke the other browser; its
            next click finds its key gone and starts over, logged out.
          </li>
          <li>Leave this tab alone and watch the TTL count down: when it reaches 0, Redis deletes the key.</li>
        </ol>
      </section>

      <SessionInspector {...inspection} />

      <CookieView {...cookie} />

      <h2>The life of a session</h2>
      <SessionDiagram />
      <h2>The Redis commands on the request path</h2>
      <dl class="commands">
        {COMMANDS.map(([command, meaning]) => (
          <>
            <dt>
              <code>{command}</code>
            </dt>
            <dd>{meaning}</dd>
          </>
        ))}
      </dl>
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
