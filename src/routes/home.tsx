import { Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { Beer } from '../beer/generator.ts'
import { isHtmx, noStore, varyOnHtmx } from '../http/htmx.ts'
import { takeNotice } from '../http/notice.ts'
import { BeerResult } from '../views/partials/beer-result.tsx'
import { Flash } from '../views/partials/flash.tsx'
import { SessionPanel } from '../views/partials/session-panel.tsx'
import { HomePage } from '../views/pages/home.tsx'

export type HomeDeps = { pourBeer: () => Promise<Beer>; now: () => number }

/** The craft-beer page: GET /, POST /beer (htmx fragment or full page), GET /session. */
export function homeRoutes({ pourBeer, now }: HomeDeps) {
  const pour = () => pourBeer().catch(() => 'error' as const)

  return new Hono<AppEnv>()
    .get('/', async (c) => {
      const session = c.get('session')
      const state = await session.load()
      const notice = takeNotice(c)
      noStore(c)
      return c.html(
        <HomePage session={{ ...state, flash: state.flash ?? notice }} csrfToken={session.csrfToken!} now={now()} beer={null} />,
      )
    })
    .post('/beer', async (c) => {
      const session = c.get('session')
      const beer = await pour()
      const state = beer === 'error' ? await session.load() : await session.increment('beers')
      noStore(c)
      varyOnHtmx(c)
      if (!isHtmx(c)) {
        return c.html(<HomePage session={state} csrfToken={session.csrfToken!} now={now()} beer={beer} />)
      }
      return c.html(
        <>
          <BeerResult beer={beer} />
          <SessionPanel session={state} now={now()} csrfToken={session.csrfToken} oob />
          {state.flash ? <Flash message={state.flash} oob /> : null}
        </>,
      )
    })
    .get('/session', async (c) => {
      const session = c.get('session')
      const state = await session.peek()
      noStore(c)
      return c.html(<SessionPanel session={state} now={now()} csrfToken={session.csrfToken} />)
    })
}
