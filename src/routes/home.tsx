import { Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { Beer } from '../beer/generator.ts'
import { isHtmx } from '../http/htmx.ts'
import { viewTemplate } from '../http/view-template.ts'
import type { StoredSession } from '../session/store.ts'
import { HomePage, type HomeProps } from '../views/pages/home.tsx'
import { BeerResult } from '../views/partials/beer-result.tsx'
import { Flash } from '../views/partials/flash.tsx'
import { SessionPanel, secondsLeft } from '../views/partials/session-panel.tsx'
import { endsAtDeadline, type SessionLifetimes, warnSeconds } from '../views/partials/session-timeout.tsx'

export type HomeDeps = { pourBeer: () => Promise<Beer>; lifetimes?: SessionLifetimes; now: () => number }

type PanelProps = { session: StoredSession; now: number; csrfToken: string | null }
type PageProps = HomeProps & { beer: null }
type PourProps = PanelProps & { beer: Beer | 'error' }

function PourResult({ beer, session, now, csrfToken }: PourProps) {
  return (
    <>
      <BeerResult beer={beer} />
      <SessionPanel session={session} now={now} csrfToken={csrfToken} oob />
      {session.flash ? <Flash message={session.flash} oob /> : null}
    </>
  )
}

/*
 * The home page, the pour fragment and the panel are the hot paths, so they go
 * out through view templates (see viewTemplate). Their shape is which parts of
 * the markup exist; their slots are what the session panel and the flash show.
 */
const panelShape = ({ session, csrfToken }: PanelProps) =>
  `${session.beers > 0}${!session.email}${!session.userId}${!session.flash}${csrfToken === null}`

const panelSlots = ({ session, now, csrfToken }: PanelProps) => ({
  id: session.id,
  left: String(secondsLeft(session, now)),
  at: String(session.expiresAt),
  beers: String(session.beers),
  email: session.email ?? '',
  flash: session.flash ?? '',
  csrf: csrfToken ?? '',
})

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
      beers: session.beers > 0 ? Number(slots.beers) : 0,
      email: session.email ? slots.email : session.email,
      flash: session.flash ? slots.flash : session.flash,
    },
    now: expiresAt - Number(slots.left) * 1000 + 1,
    csrfToken: like.csrfToken === null ? null : slots.csrf,
  } as P
}

/* The timeout warning's wording depends on whether the expiry is the absolute deadline; its threshold on the app's idle time. */
const timeoutShape = ({ session, lifetimes }: PageProps) =>
  lifetimes ? `${endsAtDeadline(session, lifetimes.absoluteSeconds)}${warnSeconds(lifetimes.idleSeconds)}` : '-'

type PanelSlot = keyof ReturnType<typeof panelSlots>

const homePage = viewTemplate<PageProps, PanelSlot>({
  name: 'home page',
  shape: (props) => `${panelShape(props)}${timeoutShape(props)}`,
  slots: panelSlots,
  withSlots: (like, slots) => withPanelSlots(like, slots),
  render: (props) => String(<HomePage {...props} />),
})

const pourResult = viewTemplate<PourProps, PanelSlot | 'name' | 'style'>({
  name: 'pour result',
  shape: (props) => `${props.beer === 'error'}${panelShape(props)}`,
  slots: (props) => ({
    ...panelSlots(props),
    name: props.beer === 'error' ? '' : props.beer.name,
    style: props.beer === 'error' ? '' : props.beer.style,
  }),
  withSlots: (like, slots) => ({
    ...withPanelSlots(like, slots),
    beer: like.beer === 'error' ? like.beer : { ...like.beer, name: slots.name, style: slots.style },
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

/** The craft-beer page: GET /, POST /beer (htmx fragment or full page), GET /session. */
export function homeRoutes({ pourBeer, lifetimes, now }: HomeDeps) {
  const pour = () => pourBeer().catch(() => 'error' as const)

  return new Hono<AppEnv>()
    .get('/', async (c) => {
      const state = await c.get('session').load()
      return c.html(homePage({ session: state, csrfToken: state.csrfToken, now: now(), beer: null, lifetimes }))
    })
    .post('/beer', async (c) => {
      const session = c.get('session')
      const beer = await pour()
      const state = beer === 'error' ? await session.load() : await session.increment('beers')
      if (!isHtmx(c)) {
        return c.html(
          <HomePage session={state} csrfToken={state.csrfToken} now={now()} beer={beer} lifetimes={lifetimes} />,
        )
      }
      return c.html(pourResult({ beer, session: state, now: now(), csrfToken: state.csrfToken }))
    })
    .get('/session', async (c) => {
      const session = c.get('session')
      const state = await session.peek()
      const csrfToken = session.csrfToken
      return c.html(
        state ? (
          sessionPanel({ session: state, now: now(), csrfToken })
        ) : (
          <SessionPanel session={null} now={now()} csrfToken={csrfToken} />
        ),
      )
    })
}
