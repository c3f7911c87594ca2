import { Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { Beer } from '../beer/generator.ts'
import { readForm } from '../http/form.ts'
import { isHtmx, redirect } from '../http/htmx.ts'
import { pouredBeerCookie } from '../http/poured-beer.ts'
import { viewTemplate } from '../http/view-template.ts'
import type { StoredSession } from '../session/store.ts'
import { HomePage, type HomeProps } from '../views/pages/home.tsx'
import { articleFor, BeerResult, PourStatus } from '../views/partials/beer-result.tsx'
import { Flash } from '../views/partials/flash.tsx'
import { formatClock, SessionPanel, secondsLeft } from '../views/partials/session-panel.tsx'
import { endsAtDeadline, type SessionLifetimes, warnSeconds } from '../views/partials/session-timeout.tsx'
import { navPathOf, SiteNav } from '../views/partials/site-nav.tsx'

export type HomeDeps = {
  pourBeer: () => Promise<Beer>
  lifetimes?: SessionLifetimes
  now: () => number
  secureCookies: boolean
}

type PanelProps = { session: StoredSession; now: number; csrfToken: string | null; clock?: string }
type PageProps = HomeProps & { beer: null }
/**
 * `nav` is the page's nav path when the answer also replaces the nav (see
 * PourResult); `article` the style's "a" or "an", when not worked out from
 * the style (the template's marker render, whose style is digits).
 */
type PourProps = PanelProps & { beer: Beer | 'error'; nav: string | undefined; article?: 'a' | 'an' }
type RefreshProps = PanelProps & { nav: string | undefined }

/*
 * A pour that takes a notice left for its session's next page (one no page
 * has shown yet, such as "Logged out.") shows it, and replaces the nav in the
 * same answer: such notices follow a change of login state. A pour whose
 * session had ended is refused instead (see SessionEndedError).
 */
function PourResult({ beer, session, now, csrfToken, clock, nav, article }: PourProps) {
  return (
    <>
      <BeerResult beer={beer} />
      <SessionPanel session={session} now={now} csrfToken={csrfToken} clock={clock} oob />
      <PourStatus beer={beer} beers={session.beers} article={article} oob />
      {session.flash ? (
        <>
          <Flash message={session.flash} oob />
          <SiteNav loggedIn={Boolean(session.userId)} csrfToken={csrfToken} current={nav} oob />
        </>
      ) : null}
    </>
  )
}

/** GET /session for htmx: the panel, and the nav out of band, so a tab catches up with a login state changed elsewhere. */
function PanelRefresh({ session, now, csrfToken, clock, nav }: RefreshProps) {
  return (
    <>
      <SessionPanel session={session} now={now} csrfToken={csrfToken} clock={clock} />
      <SiteNav loggedIn={Boolean(session.userId)} csrfToken={csrfToken} current={nav} oob />
    </>
  )
}

/*
 * The home page, the pour fragment and the panel are the hot paths, so they go
 * out through view templates (see viewTemplate). Their shape is which parts of
 * the markup exist; their slots are what the session panel and the flash show.
 */
const panelShape = ({ session, csrfToken }: PanelProps) =>
  `${session.beers > 0}${session.beers === 1}${!session.email}${!session.userId}${!session.flash}${csrfToken === null}`

const panelSlots = ({ session, now, csrfToken }: PanelProps) => {
  const left = secondsLeft(session, now)
  return {
    id: session.id,
    left: String(left),
    clock: formatClock(left),
    at: String(session.expiresAt),
    beers: String(session.beers),
    email: session.email ?? '',
    flash: session.flash ?? '',
    csrf: csrfToken ?? '',
  }
}

/** Panel props of the same shape as `like` that show these slots (the clock is set so the countdown shows `left`). */
function withPanelSlots<P extends PanelProps>(like: P, slots: ReturnType<typeof panelSlots>): P {
  const { session } = like
  const expiresAt = Number(slots.at)
  return {
    ...like,
    session: {
      ...session,
      id: slots.id,
      expiresAt,
      // The shape tells 0, 1 and more apart (1 reads "1 beer"): only a larger count is a slot.
      beers: session.beers > 1 ? Number(slots.beers) : session.beers,
      email: session.email ? slots.email : session.email,
      flash: session.flash ? slots.flash : session.flash,
    },
    now: expiresAt - Number(slots.left) * 1000 + 1,
    clock: slots.clock,
    csrfToken: like.csrfToken === null ? null : slots.csrf,
  } as P
}

/* The timeout warning's wording depends on whether the expiry is the absolute deadline; its threshold on the app's idle time. */
const timeoutShape = ({ session, lifetimes }: PageProps) =>
  lifetimes ? `${endsAtDeadline(session, lifetimes.absoluteSeconds)}${warnSeconds(lifetimes.idleSeconds)}` : '-'

type PanelSlot = keyof ReturnType<typeof panelSlots>

/**
 * Page props showing these slots whose session ends at its absolute deadline
 * exactly when `like`'s does: the marker standing in for the expiry must not
 * change the timeout warning's wording.
 */
function withPageSlots(like: PageProps, slots: ReturnType<typeof panelSlots>): PageProps {
  const page = withPanelSlots(like, slots)
  if (!like.lifetimes || !endsAtDeadline(like.session, like.lifetimes.absoluteSeconds)) return page
  const createdAt = page.session.expiresAt - like.lifetimes.absoluteSeconds * 1000
  return { ...page, session: { ...page.session, createdAt } }
}

const homePage = viewTemplate<PageProps, PanelSlot>({
  name: 'home page',
  shape: (props) => `${panelShape(props)}${timeoutShape(props)}`,
  slots: panelSlots,
  withSlots: withPageSlots,
  render: (props) => String(<HomePage {...props} />),
})

const pourResult = viewTemplate<PourProps, PanelSlot | 'name' | 'style'>({
  name: 'pour result',
  shape: (props) =>
    `${props.beer === 'error' ? 'error' : articleFor(props.beer.style)}${props.nav}${panelShape(props)}`,
  slots: (props) => ({
    ...panelSlots(props),
    name: props.beer === 'error' ? '' : props.beer.name,
    style: props.beer === 'error' ? '' : props.beer.style,
  }),
  // The article is part of the shape: the digits standing in for the style must not choose it.
  withSlots: (like, slots) => ({
    ...withPanelSlots(like, slots),
    beer: like.beer === 'error' ? like.beer : { ...like.beer, name: slots.name, style: slots.style },
    article: like.beer === 'error' ? undefined : articleFor(like.beer.style),
  }),
  render: (props) => String(<PourResult {...props} />),
})

const sessionPanel = viewTemplate<PanelProps, PanelSlot>({
  name: 'session panel',
  shape: panelShape,
  slots: panelSlots,
  withSlots: (like, slots) => withPanelSlots(like, slots),
  render: (props) => String(<SessionPanel {...props} />),
})

const panelRefresh = viewTemplate<RefreshProps, PanelSlot>({
  name: 'panel refresh',
  shape: (props) => `${props.nav}${panelShape(props)}`,
  slots: panelSlots,
  withSlots: (like, slots) => withPanelSlots(like, slots),
  render: (props) => String(<PanelRefresh {...props} />),
})

/**
 * The craft-beer page: GET /, POST /beer (an htmx fragment, or Post/Redirect/Get
 * back to / without JavaScript), GET /session.
 */
export function homeRoutes({ pourBeer, lifetimes, now, secureCookies }: HomeDeps) {
  const pour = () => pourBeer().catch(() => 'error' as const)
  const poured = pouredBeerCookie({ secure: secureCookies })

  return new Hono<AppEnv>()
    .get('/', async (c) => {
      const beer = poured.take(c)
      const state = await c.get('session').load()
      const props = { session: state, csrfToken: state.csrfToken, now: now(), lifetimes }
      // A beer shown once after a pour without JavaScript is rare: rendered normally, off the template.
      if (beer) return c.html(<HomePage {...props} beer={beer} />)
      return c.html(homePage({ ...props, beer: null }))
    })
    .get('/beer', (c) => redirect(c, '/'))
    .post('/beer', async (c) => {
      const session = c.get('session')
      const beer = await pour()
      const state = beer === 'error' ? await session.load() : await session.increment('beers')
      if (!isHtmx(c)) {
        // A notice the pour took must survive the redirect.
        if (state.flash) await session.flash(state.flash)
        // How it works asks to watch the record change: a pour comes back there,
        // showing the record; one that failed goes home, which says so.
        if (beer !== 'error' && (await readForm(c)).back === '/how-it-works') return redirect(c, '/how-it-works')
        poured.set(c, beer)
        return redirect(c, '/')
      }
      const nav = state.flash ? navPathOf(c.req.header('hx-current-url')) : undefined
      return c.html(pourResult({ beer, session: state, now: now(), csrfToken: state.csrfToken, nav }))
    })
    .get('/session', async (c) => {
      const session = c.get('session')
      const state = await session.peek()
      const csrfToken = session.csrfToken
      if (!state) {
        return c.html(
          <>
            <SessionPanel session={null} now={now()} csrfToken={csrfToken} />
            {isHtmx(c) ? (
              <SiteNav loggedIn={false} csrfToken={csrfToken} current={navPathOf(c.req.header('hx-current-url'))} oob />
            ) : null}
          </>,
        )
      }
      if (!isHtmx(c)) return c.html(sessionPanel({ session: state, now: now(), csrfToken }))
      const nav = navPathOf(c.req.header('hx-current-url'))
      return c.html(panelRefresh({ session: state, now: now(), csrfToken, nav }))
    })
}
