import { Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import { clientIpOf } from '../http/client-ip.ts'
import type { DevOutbox } from '../mail/dev-outbox.ts'
import { DevMailPage } from '../views/pages/dev-mail.tsx'

const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)$/

/**
 * GET /dev/mail: the dev outbox. Mounted only when mail goes there (no
 * SMTP_URL outside production), so in production the route does not exist.
 * It lists every reset and sign-up link, so only this machine may read it: a
 * dev server listens on every interface, and anyone on the same network
 * could otherwise take over any account on it.
 */
export function devMailRoutes(outbox: DevOutbox) {
  return new Hono<AppEnv>().get('/dev/mail', async (c) => {
    if (!LOOPBACK.test(clientIpOf(c))) return c.notFound()
    const state = await c.get('session').peek()
    return c.html(<DevMailPage entries={outbox.list()} loggedIn={Boolean(state?.userId)} />)
  })
}
