import { type Context, Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import type { CredentialGate } from '../auth/credential-gate.ts'
import { describeDevice } from '../auth/device.ts'
import { DEVICE_COOKIE, type DeviceCookies } from '../auth/device-cookie.ts'
import { emailForm, fieldErrors, passwordResetForm, submittedText } from '../auth/forms.ts'
import type { NewPasswordCheck } from '../auth/new-password.ts'
import { OverloadedError } from '../auth/overloaded.ts'
import type { PasswordHasher } from '../auth/password-hasher.ts'
import type { SecondFactors } from '../auth/second-factors.ts'
import type { AttemptThrottle } from '../auth/throttle.ts'
import { clientIpOf } from '../http/client-ip.ts'
import { readForm } from '../http/form.ts'
import { gateOptions } from '../http/gate-options.ts'
import { redirect, renderForm } from '../http/htmx.ts'
import type { AccountRecovery } from '../recovery/account-recovery.ts'
import type { SecurityNotices } from '../recovery/notices.ts'
import { tokenHash } from '../recovery/one-time-tokens.ts'
import type { Sessions } from '../session/sessions.ts'
import {
  DeadLinkPage,
  ForgotForm,
  type ForgotFormProps,
  ForgotPage,
  InboxNotice,
  InboxNoticePage,
  ResetForm,
  type ResetFormProps,
  ResetPage,
} from '../views/pages/recovery.tsx'

export type PasswordResetDeps = {
  recovery: AccountRecovery
  notices: SecurityNotices
  sessions: Sessions
  hasher: PasswordHasher
  throttle: AttemptThrottle
  credentialGate: CredentialGate
  devices: DeviceCookies
  newPasswordCheck: NewPasswordCheck
  secondFactors: SecondFactors
  audit: AuditLog
  passwordResetSeconds: number
  /** How long the second step may take (routes/second-step.tsx). */
  secondStepSeconds: number
  now: () => number
}

export const RESET_REQUESTED = (minutes: number) =>
  `If an account exists for that address, we sent a link to reset its password. It works for ${minutes} minutes.`
export const PASSWORD_RESET_DONE = 'Your password was changed. Every other session was logged out.'

const ASK_AGAIN = { href: '/password/forgot', text: 'Ask for a new link' }

/**
 * Password reset by email: GET/POST /password/forgot, GET
 * /password/reset/<token>, GET/POST /password/reset.
 */
export function passwordResetRoutes(deps: PasswordResetDeps) {
  const {
    recovery,
    notices,
    sessions,
    hasher,
    throttle,
    credentialGate,
    devices,
    newPasswordCheck,
    secondFactors,
    audit,
    now,
  } = deps
  const requested = RESET_REQUESTED(Math.round(deps.passwordResetSeconds / 60))

  async function renderForgot(c: Context<AppEnv>, status: 200 | 422, props: Omit<ForgotFormProps, 'csrfToken'>) {
    const state = await c.get('session').load()
    return renderForm(c, status, {
      form: () => <ForgotForm {...props} csrfToken={state.csrfToken} />,
      page: () => <ForgotPage {...props} csrfToken={state.csrfToken} session={state} />,
    })
  }

  async function deadLink(c: Context<AppEnv>) {
    const state = await c.get('session').load()
    return c.html(<DeadLinkPage session={state} csrfToken={state.csrfToken} again={ASK_AGAIN} />, 400)
  }

  async function renderReset(c: Context<AppEnv>, status: 200 | 422 | 503, props: Omit<ResetFormProps, 'csrfToken'>) {
    const state = await c.get('session').load()
    return renderForm(c, status, {
      form: () => <ResetForm {...props} csrfToken={state.csrfToken} />,
      page: () => <ResetPage {...props} csrfToken={state.csrfToken} session={state} />,
    })
  }

  const auditEnded = (c: Context<AppEnv>, userId: string, sessionIds: string[]) => {
    for (const sessionId of new Set(sessionIds)) {
      audit('session_revoked', {
        requestId: c.get('requestId'),
        ip: clientIpOf(c),
        sessionId,
        userId,
        reason: 'password_reset',
      })
    }
  }

  return new Hono<AppEnv>()
    .get('/password/forgot', (c) => renderForgot(c, 200, {}))
    .post('/password/forgot', async (c) => {
      const form = await readForm(c)
      const parsed = emailForm.safeParse(form)
      if (!parsed.success) {
        return renderForgot(c, 422, { email: submittedText(form.email), fieldErrors: fieldErrors(parsed.error) })
      }
      const { email } = parsed.data
      const ip = clientIpOf(c)
      // First: a form from a session that has ended is refused here, before any budget is spent.
      const state = await c.get('session').load()
      // Spends the per-IP attempt budget login and sign-up share (under its own
      // per-address count, so asking for links never locks anyone's login).
      // Over it, the answer stays the same and nothing is sent: the limit
      // tells nothing about the address either.
      const verdict = await throttle.reserve(ip, `password-reset ${email}`)
      // Queued last, so the worker's lookup cannot overlap this answer.
      if (verdict.allowed) await recovery.requestPasswordReset({ email, ip, requestId: c.get('requestId') })
      else audit('password_reset_requested', { requestId: c.get('requestId'), ip, reason: 'throttled' })
      return renderForm(c, 200, {
        form: () => <InboxNotice message={requested} />,
        page: () => (
          <InboxNoticePage title="Check Your Inbox" message={requested} session={state} csrfToken={state.csrfToken} />
        ),
      })
    })
    .get('/password/reset/:token', async (c) => {
      const hash = tokenHash(c.req.param('token'))
      const state = await c.get('session').load()
      if (!hash || !(await recovery.holdResetLink(state.id, hash))) return deadLink(c)
      return redirect(c, '/password/reset')
    })
    .get('/password/reset', async (c) => {
      const session = c.get('session')
      const held = session.id ? await recovery.heldResetAccount(session.id) : null
      if (!held) return deadLink(c)
      return renderReset(c, 200, { email: held.user.email })
    })
    .post('/password/reset', async (c) => {
      const session = c.get('session')
      // The reset link is held by this session: a form from one that has ended changes nothing.
      await session.confirmLive()
      const held = session.id ? await recovery.heldResetAccount(session.id) : null
      if (!held) return deadLink(c)
      const { user } = held
      const parsed = passwordResetForm.safeParse(await readForm(c))
      if (!parsed.success) return renderReset(c, 422, { email: user.email, fieldErrors: fieldErrors(parsed.error) })

      const signal = c.req.raw.signal
      let checked: { passwordHash: string } | { problem: string }
      try {
        checked = await credentialGate.run(async () => {
          const problem = await newPasswordCheck(parsed.data.password, user.email)
          return problem ? { problem } : { passwordHash: await hasher.hash(parsed.data.password, { signal }) }
        }, gateOptions(c))
      } catch (error) {
        if (!(error instanceof OverloadedError || signal.aborted)) throw error
        c.header('Retry-After', String(error instanceof OverloadedError ? error.retryAfterSeconds : 2))
        return renderReset(c, 503, { email: user.email, error: 'The server is busy. Please try again in a moment.' })
      }
      if ('problem' in checked)
        return renderReset(c, 422, { email: user.email, fieldErrors: { password: checked.problem } })

      // One winner: a second tab, or a request racing this one, finds the link used.
      if (!(await recovery.redeemResetLink(held.hash))) return deadLink(c)
      const requestId = c.get('requestId')
      const ip = clientIpOf(c)
      const device = describeDevice(c.req.header('user-agent'))
      // Every session ends before the new hash is stored, and again once this
      // browser has its new one, so a login with the old password racing the
      // reset cannot outlive it.
      const endedBefore = await sessions.endAll(user.id)
      if (!(await recovery.setResetPassword(user, checked.passwordHash))) return deadLink(c)
      await secondFactors.dropUnfinishedEnrolment(user.id)
      // Whoever guessed codes with the old password no longer has it.
      await secondFactors.clearWrongCodes(user.id)
      await recovery.releaseResetLink(session.id!)
      audit('password_reset', { requestId, ip, sessionId: session.id ?? undefined, userId: user.id })
      await notices.passwordChanged(user.email, { ip, device, at: now() })

      // The mailed link proves the address, not the second factor: an account
      // that has one still asks for it before this browser is signed in.
      if (await secondFactors.appOn(user.id)) {
        // Ended again, as signIn's endOthers does below: a sign-in that checked
        // the old password while it was replaced waits at its second step, and
        // must not finish it. This one's proof begins after that, so a later
        // reset or "log out everywhere" stops it too.
        const endedAfter = await sessions.endAll(user.id)
        const proof = await session.startProof()
        // The second step's page says the reset is done, as the home page says it without the app.
        const pending = await session.beginPending(user.id, now() + deps.secondStepSeconds * 1000, {
          proof,
          flash: PASSWORD_RESET_DONE,
        })
        auditEnded(c, user.id, [...endedBefore, ...endedAfter])
        audit('second_factor_required', { requestId, ip, sessionId: pending.id, userId: user.id })
        return redirect(c, '/login/verify')
      }
      // This browser now knows the account's password: it is a known browser
      // for the per-account cap, so a stranger's guesses cannot lock it out.
      // (With the app on, it becomes one at the second step.)
      c.header('Set-Cookie', devices.remember(getCookie(c, DEVICE_COOKIE), user.email), { append: true })
      // endOthers also ends a sign-in that read the old hash while it was replaced.
      const fresh = await session.signIn(user, {
        method: 'password',
        device,
        ip,
        flash: PASSWORD_RESET_DONE,
        endOthers: true,
      })
      auditEnded(c, user.id, [...endedBefore, ...fresh.ended])
      return redirect(c, '/')
    })
}
