import { Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { DevOutbox } from '../mail/dev-outbox.ts'
import { DevMailPage } from '../views/pages/dev-mail.tsx'

/**
 * GET /dev/mail: the dev outbox. Mounted only when mail goes there (no
 * SMTP_URL outside production), so in production the route does not exist.
 */
export function devMailRoutes(outbox: DevOutbox) {
  return new Hono<AppEnv>().get('/dev/mail', async (c) => {
    const state = await c.get('session').peek()
    return c.html(<DevMailPage entries={outbox.list()} loggedIn={Boolean(state?.userId)} />)
  })
}
