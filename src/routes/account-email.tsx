import { type Context, Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import { describeDevice } from '../auth/device.ts'
import { emailForm, fieldErrors, submittedText } from '../auth/forms.ts'
import { clientIpOf } from '../http/client-ip.ts'
import { readForm } from '../http/form.ts'
import { redirect, renderForm } from '../http/htmx.ts'
import { requireUser, type SignedIn } from '../http/require-user.ts'
import type { AccountRecovery } from '../recovery/account-recovery.ts'
import type { SecurityNotices } from '../recovery/notices.ts'
import type { Sessions } from '../session/sessions.ts'
import { EmailForm, type EmailFormProps, EmailPage, EmailTakenPage } from '../views/pages/account-email.tsx'
import { DeadLinkPage } from '../views/pages/recovery.tsx'
import { type SessionLifetimes, timeoutFor } from '../views/partials/session-timeout.tsx'
import type { RequireFreshProof } from './fresh-proof.tsx'
import { mailedLinkRoutes } from './mailed-link.tsx'

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
const CONFIRM_MOVE =
  'This moves a Taproom account to the address this link was sent to, and logs it out everywhere. Confirm if you asked for it.'

/**
 * Changing the account's email: GET/POST /account/email (a fresh proof of the
 * password first) mails a link to the new address and a notice to the
 * current one; GET /account/email/confirm/<token> makes the change in a
 * browser logged in to the account, and anywhere else asks for a click that
 * posts back to it (a mail scanner fetching the link changes nothing).
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

  /** Uses the link: the account moves to the new address and every other session ends. */
  async function confirm(c: Context<AppEnv>, hash: string) {
    const outcome = await recovery.confirmEmailChange(hash)
    if (outcome.status === 'invalid') return deadLink(c)
    const session = c.get('session')
    const state = await session.load()
    if (outcome.status === 'taken') return c.html(<EmailTakenPage session={state} csrfToken={state.csrfToken} />, 409)

    const { user, oldEmail } = outcome
    const ip = clientIpOf(c)
    const requestId = c.get('requestId')
    const here = state.userId === user.id
    // Every other session ends; every one, if this one has ended meanwhile.
    const ended = (here ? (await session.endOthers(user.id))?.ended : undefined) ?? (await sessions.endAll(user.id))
    for (const sessionId of ended)
      audit('session_revoked', { requestId, ip, sessionId, userId: user.id, reason: 'email_changed' })
    audit('email_changed', { requestId, ip, sessionId: state.id, userId: user.id })
    await notices.emailChanged(oldEmail, user.email, {
      ip,
      device: describeDevice(c.req.header('user-agent')),
      at: now(),
    })
    if (here) {
      await session.updateEmail(user.email)
      await session.flash(emailChanged(user.email))
      return redirect(c, '/account/email')
    }
    await session.flash(`Your email is now ${user.email}. Log in with it.`)
    return redirect(c, '/login')
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
    .route(
      '/',
      mailedLinkRoutes('/account/email/confirm/:token', {
        // At once in a browser logged in to the account; anywhere else after a click.
        usableHere: async (c, hash) => {
          const link = await recovery.emailChangeLink(hash)
          return link && (await c.get('session').load()).userId === link.userId
        },
        use: confirm,
        dead: deadLink,
        ask: {
          title: 'Confirm Your New Email',
          heading: 'Confirm your new email',
          explanation: CONFIRM_MOVE,
          button: 'Confirm the new email',
        },
      }),
    )
}
