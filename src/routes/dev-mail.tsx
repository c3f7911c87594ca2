import { Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import { clientIpOf } from '../http/client-ip.ts'
import type { DevOutbox } from '../mail/dev-outbox.ts'
import { DevMailPage } from '../views/pages/dev-mail.tsx'

const LOOPBACK = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1)$/

/* Headers a proxy adds: behind one on the same machine, every client's socket is loopback. */
const PROXIED = ['forwarded', 'x-forwarded-for', 'x-real-ip']

/**
 * GET /dev/mail: the dev outbox. Mounted only when mail goes there (no
 * SMTP_URL outside production), so in production the route does not exist.
 * It lists every reset and sign-up link, so only this machine may read it: a
 * dev server listens on every interface, and anyone on the same network
 * could otherwise take over any account on it. So it answers 404 to any
 * other address, to a request that came through a proxy, and always when
 * the app is told it runs behind one (TRUST_PROXY): that is no dev machine.
 */
export function devMailRoutes(outbox: DevOutbox, { trustProxy }: { trustProxy: boolean }) {
  return new Hono<AppEnv>().get('/dev/mail', async (c) => {
    const proxied = trustProxy || PROXIED.some((name) => c.req.header(name) !== undefined)
    if (proxied || !LOOPBACK.test(clientIpOf(c))) return c.notFound()
    const state = await c.get('session').peek()
    return c.html(<DevMailPage entries={outbox.list()} loggedIn={Boolean(state?.userId)} />)
  })
}
