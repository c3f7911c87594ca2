import { type Context, Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import { describeDevice } from '../auth/device.ts'
import { emailForm, fieldErrors, submittedText } from '../auth/forms.ts'
import { clientIpOf } from '../http/client-ip.ts'
import { readForm } from '../http/form.ts'
import { redirect, renderForm } from '../http/htmx.ts'
import { loginUrl } from '../http/next-path.ts'
import { requireUser, type SignedIn } from '../http/require-user.ts'
import type { AccountRecovery } from '../recovery/account-recovery.ts'
import type { SecurityNotices } from '../recovery/notices.ts'
import { tokenHash } from '../recovery/one-time-tokens.ts'
import type { ActiveSession } from '../session/request-session.ts'
import type { Sessions } from '../session/sessions.ts'
import {
  EmailForm,
  type EmailFormProps,
  EmailPage,
  EmailTakenPage,
  LogInToMoveEmailPage,
} from '../views/pages/account-email.tsx'
import { DeadLinkPage } from '../views/pages/recovery.tsx'
import { type SessionLifetimes, timeoutFor } from '../views/partials/session-timeout.tsx'
import type { RequireFreshProof } from './fresh-proof.tsx'

export type AccountEmailDeps = {
  recovery: AccountRecovery
  notices: SecurityNotices
  sessions: Sessions
  audit: AuditLog
  requireFreshProof: RequireFreshProof
  lifetimes: SessionLifetimes
  now: () => number
}

export const emailLinkSent = (email: string) =>
  `We sent a link to ${email}. Your email changes when you follow it (within 24 hours).`
export const emailChanged = (email: string) => `Your email is now ${email}. Every other session was logged out.`
const SAME_EMAIL = 'That is already your email address.'

/**
 * Changing the account's email: GET/POST /account/email (a fresh proof of the
 * password first) mails a link to the new address and a notice to the
 * current one; GET /account/email/confirm/<token> makes the change in a
 * browser logged in to the account, and anywhere else asks to log in to it
 * first (a mail scanner fetching the link changes nothing, and a stranger
 * who was sent it cannot move an account onto their address).
 */
export function accountEmailRoutes({
  recovery,
  notices,
  sessions,
  audit,
  requireFreshProof,
  lifetimes,
  now,
}: AccountEmailDeps) {
  function renderEmail(
    c: Context<AppEnv>,
    { state, user }: SignedIn,
    status: 200 | 422,
    props: Omit<EmailFormProps, 'csrfToken' | 'current'> = {},
  ) {
    const all = { ...props, csrfToken: state.csrfToken, current: user.email }
    return renderForm(c, status, {
      form: () => <EmailForm {...all} />,
      page: () => <EmailPage {...all} session={state} timeout={timeoutFor(state, now(), lifetimes)} />,
    })
  }

  async function deadLink(c: Context<AppEnv>) {
    const state = await c.get('session').load()
    const again = { href: '/account/email', text: 'Ask for a new link' }
    return c.html(<DeadLinkPage session={state} csrfToken={state.csrfToken} again={again} />, 400)
  }

  /**
   * The mailed link, GET or POST (a page drawn before the link asked for a
   * click): it acts only in a browser logged in to the account it moves, and
   * anywhere else says to log in there first, changing nothing.
   */
  async function followLink(c: Context<AppEnv>, elsewhereStatus: 200 | 403) {
    const hash = tokenHash(c.req.param('token') ?? '')
    const link = hash ? await recovery.emailChangeLink(hash) : null
    if (!hash || !link) return deadLink(c)
    const state = await c.get('session').load()
    if (state.userId === link.userId) return confirm(c, hash, state)
    const loginHref = loginUrl(c.req.path)
    return c.html(
      <LogInToMoveEmailPage loginHref={loginHref} session={state} csrfToken={state.csrfToken} />,
      elsewhereStatus,
    )
  }

  /** Uses the link: the account moves to the new address and every other session ends. */
  async function confirm(c: Context<AppEnv>, hash: string, state: ActiveSession) {
    const outcome = await recovery.confirmEmailChange(hash)
    if (outcome.status === 'invalid') return deadLink(c)
    if (outcome.status === 'taken') return c.html(<EmailTakenPage session={state} csrfToken={state.csrfToken} />, 409)

    const session = c.get('session')
    const { user, oldEmail } = outcome
    const ip = clientIpOf(c)
    const requestId = c.get('requestId')
    // Every other session ends; every one, if this one has ended meanwhile.
    const others = await session.endOthers(user.id)
    const ended = others ? others.ended : await sessions.endAll(user.id)
    for (const sessionId of ended)
      audit('session_revoked', { requestId, ip, sessionId, userId: user.id, reason: 'email_changed' })
    audit('email_changed', { requestId, ip, sessionId: state.id, userId: user.id })
    await notices.emailChanged(oldEmail, user.email, {
      ip,
      device: describeDevice(c.req.header('user-agent')),
      at: now(),
    })
    if (!others) {
      // This session has ended: a fresh one carries the notice to the login page.
      await session.restartWithNotice(`Your email is now ${user.email}. Log in with it.`)
      return redirect(c, '/login')
    }
    await session.updateEmail(user.email)
    await session.flash(emailChanged(user.email))
    return redirect(c, '/account/email')
  }

  return new Hono<AppEnv>()
    .get('/account/email', async (c) => renderEmail(c, await requireUser(c), 200))
    .post('/account/email', requireFreshProof('/account/email'), async (c) => {
      const signedIn = await requireUser(c)
      const { user } = signedIn
      const form = await readForm(c)
      const parsed = emailForm.safeParse(form)
      const email = submittedText(form.email)
      if (!parsed.success) return renderEmail(c, signedIn, 422, { email, fieldErrors: fieldErrors(parsed.error) })
      if (parsed.data.email === user.email.toLowerCase()) {
        return renderEmail(c, signedIn, 422, { email, fieldErrors: { email: SAME_EMAIL } })
      }
      // Whether another account holds the address is not told here (that
      // would reveal it); the link says so if it is still taken when followed.
      const ip = clientIpOf(c)
      const session = c.get('session')
      const outcome = await recovery.requestEmailChange(user, parsed.data.email, {
        requestId: c.get('requestId'),
        ip,
        device: describeDevice(c.req.header('user-agent')),
        at: now(),
        stillLive: () => session.stillLive(),
      })
      if (outcome === 'session_ended') return session.refuseEnded()
      return renderEmail(c, signedIn, 200, { sent: emailLinkSent(parsed.data.email) })
    })
    .get('/account/email/confirm/:token', (c) => followLink(c, 200))
    .post('/account/email/confirm/:token', async (c) => {
      // The form's session must still be live: its CSRF token outlives it.
      await c.get('session').confirmLive()
      return followLink(c, 403)
    })
}
