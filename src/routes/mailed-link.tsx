import { type Context, Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import { tokenHash } from '../recovery/one-time-tokens.ts'
import { ConfirmLinkPage } from '../views/pages/confirm-link.tsx'

type LinkResponse = Response | Promise<Response>

export type MailedLink = {
  /** Whether this browser may use the link as soon as it opens it; null when the link is dead. Uses nothing up. */
  usableHere: (c: Context<AppEnv>, hash: string) => Promise<boolean | null>
  /** Uses the link up and answers. */
  use: (c: Context<AppEnv>, hash: string) => LinkResponse
  /** The 400 for a link that is unknown, used or expired. */
  dead: (c: Context<AppEnv>) => LinkResponse
  /** The page that asks for a click anywhere else. */
  ask: { title: string; heading: string; explanation: string; button: string }
}

/**
 * GET and POST of one mailed link (`path` ends in `:token`). The GET acts at
 * once only where the link is meant to be used (the browser that asked for
 * it); anywhere else it shows one button that posts back to the same path.
 * Mail scanners fetch every link in a message and would otherwise use it up,
 * or act on it, before its reader clicked. (The token's pages send no
 * Referer: see http/security-headers.ts.)
 */
export function mailedLinkRoutes(path: string, { usableHere, use, dead, ask }: MailedLink) {
  return new Hono<AppEnv>()
    .get(path, async (c) => {
      const hash = tokenHash(c.req.param('token') ?? '')
      const here = hash ? await usableHere(c, hash) : null
      if (!hash || here === null) return dead(c)
      if (here) return use(c, hash)
      const state = await c.get('session').load()
      return c.html(<ConfirmLinkPage {...ask} action={c.req.path} session={state} csrfToken={state.csrfToken} />)
    })
    .post(path, async (c) => {
      // The button's session must still be live before the link is used: its
      // CSRF token outlives it, and an ended session's answer says nothing changed.
      await c.get('session').confirmLive()
      const hash = tokenHash(c.req.param('token') ?? '')
      return hash ? use(c, hash) : dead(c)
    })
}
