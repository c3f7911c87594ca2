import { type Context, Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import type { Authenticator, LoginOutcome } from '../auth/authenticator.ts'
import type { CredentialGate } from '../auth/credential-gate.ts'
import { describeDevice } from '../auth/device.ts'
import { DEVICE_COOKIE, type DeviceCookies } from '../auth/device-cookie.ts'
import type { EmailHash } from '../auth/email-hash.ts'
import { fieldErrors, loginForm, submittedText } from '../auth/forms.ts'
import { OverloadedError } from '../auth/overloaded.ts'
import type { SecondFactors } from '../auth/second-factors.ts'
import { clientIpOf } from '../http/client-ip.ts'
import { readForm } from '../http/form.ts'
import { gateOptions } from '../http/gate-options.ts'
import { isHtmx, redirect, renderForm } from '../http/htmx.ts'
import { safeNextPath } from '../http/next-path.ts'
import { viewTemplate } from '../http/view-template.ts'
import type { AccountRecovery } from '../recovery/account-recovery.ts'
import type { SecurityNotices } from '../recovery/notices.ts'
import { LOGGED_OUT_NOTICE, type ProofStart } from '../session/request-session.ts'
import { ServiceUnavailableError } from '../unavailable.ts'
import { Layout } from '../views/layout.tsx'
import { busyMarkup } from '../views/pages/busy.tsx'
import { LoginForm, type LoginFormProps, LoginPage } from '../views/pages/login.tsx'
import { LogoutPage } from '../views/pages/logout.tsx'

export type AuthDeps = {
  authenticator: Authenticator
  credentialGate: CredentialGate
  emailHash: EmailHash
  devices: DeviceCookies
  secondFactors: SecondFactors
  audit: AuditLog
  now: () => number
  /** How long the second step may take after a right password (routes/second-step.tsx). */
  secondStepSeconds: number
  recovery: AccountRecovery
  notices: SecurityNotices
}

export const INVALID_CREDENTIALS = 'Invalid email or password.'
export const VERIFY_FIRST = 'Verify your email first: we sent you a new link.'

/** What a throttled login attempt (or password check) is told. */
export function throttledMessage(retryAfterSeconds: number): string {
  const minutes = Math.ceil(retryAfterSeconds / 60)
  // The per-account cap's window is a day: "1440 minutes" would read as a typo.
  if (minutes >= 120) {
    const hours = Math.ceil(minutes / 60)
    return `Too many failed attempts. Try again in ${hours} hours.`
  }
  return `Too many failed attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`
}
const LOGIN_UNAVAILABLE = 'Logging in is temporarily unavailable. Please try again in a moment.'
export const LOGIN_BUSY = 'Too many people are logging in right now. Please try again in a moment.'

type BusyLoginProps = { csrfToken: string; email: string; next?: string; page: boolean }

/*
 * During a login flood the refusal is the hot path, so it goes out through a
 * view template (see viewTemplate): the form alone for htmx, else on a page
 * that does not read the session (BusyPage).
 */
const busyLogin = viewTemplate<BusyLoginProps, 'csrf' | 'email' | 'next'>({
  name: 'busy login',
  shape: ({ next, page }) => `${page}${!next}`,
  slots: ({ csrfToken, email, next }) => ({ csrf: csrfToken, email, next: next ?? '' }),
  withSlots: (like, slots) => ({
    ...like,
    csrfToken: slots.csrf,
    email: slots.email,
    next: like.next ? slots.next : like.next,
  }),
  render: ({ page, ...props }) =>
    busyMarkup({
      page,
      title: 'Log In',
      csrfToken: props.csrfToken,
      form: <LoginForm {...props} error={LOGIN_BUSY} />,
    }),
})

/** Log in and log out: GET/POST /login, GET/POST /logout. */
export function authRoutes({
  authenticator,
  credentialGate,
  emailHash,
  devices,
  secondFactors,
  audit,
  now,
  secondStepSeconds,
  recovery,
  notices,
}: AuthDeps) {
  async function renderLogin(
    c: Context<AppEnv>,
    status: 200 | 401 | 403 | 422 | 429 | 503,
    props: Omit<LoginFormProps, 'csrfToken'> = {},
  ) {
    const state = await c.get('session').load()
    props = { ...props, next: props.next ?? safeNextPath(c.req.query('next')) }
    return renderForm(c, status, {
      form: () => <LoginForm {...props} csrfToken={state.csrfToken} />,
      page: () => <LoginPage {...props} csrfToken={state.csrfToken} session={state} now={now()} />,
    })
  }

  /* Refused for load: the form again, without reading the session. */
  function renderBusy(c: Context<AppEnv>, retryAfterSeconds: number, email: string, next: string | undefined) {
    c.header('Retry-After', String(retryAfterSeconds))
    // The CSRF check let this request in with it.
    const csrfToken = c.get('session').csrfToken ?? ''
    return c.html(busyLogin({ csrfToken, email, next, page: !isHtmx(c) }), 503)
  }

  return new Hono<AppEnv>()
    .get('/login', (c) => renderLogin(c, 200))
    .post('/login', async (c) => {
      const form = await readForm(c)
      const parsed = loginForm.safeParse(form)
      const email = submittedText(form.email)
      const next = safeNextPath(form.next)
      if (!parsed.success) return renderLogin(c, 422, { email, next, fieldErrors: fieldErrors(parsed.error) })

      const session = c.get('session')
      const ip = clientIpOf(c)
      const deviceCookie = getCookie(c, DEVICE_COOKIE)
      let checked: { proof: ProofStart; outcome: LoginOutcome }
      try {
        // The bound comes first: a login refused for load costs no Redis command.
        checked = await credentialGate.run(async () => {
          // Taken before the password hash is read: a password change (or "log
          // out everywhere") that lands while this login is checked refuses it.
          // A form from a session that has ended is refused here, before the password is judged.
          const proof = await session.startProof()
          const outcome = await authenticator.login(parsed.data.email, parsed.data.password, ip, {
            signal: c.req.raw.signal,
            knownDeviceId: devices.knownDeviceId(deviceCookie, parsed.data.email),
          })
          return { proof, outcome }
        }, gateOptions(c))
      } catch (error) {
        // Refused for load, or its client left while it waited: either way nobody's password was judged.
        if (error instanceof OverloadedError || c.req.raw.signal.aborted) {
          audit('login_failure', { requestId: c.get('requestId'), ip, reason: 'busy' })
          return renderBusy(c, error instanceof OverloadedError ? error.retryAfterSeconds : 2, email, next)
        }
        if (!(error instanceof ServiceUnavailableError && error.service === 'database')) throw error
        audit('login_failure', {
          requestId: c.get('requestId'),
          ip,
          sessionId: session.id ?? undefined,
          reason: 'unavailable',
          error: error.message,
        })
        c.header('Retry-After', '5')
        return renderLogin(c, 503, { email, next, error: LOGIN_UNAVAILABLE })
      }
      const { proof, outcome } = checked
      const requestId = c.get('requestId')
      if (!outcome.ok) {
        audit('login_failure', {
          requestId,
          ip,
          sessionId: session.id ?? undefined,
          userId: outcome.userId,
          emailHash: emailHash(parsed.data.email),
          reason: outcome.reason,
        })
        if (outcome.reason === 'throttled') {
          c.header('Retry-After', String(outcome.retryAfterSeconds ?? 60))
          return renderLogin(c, 429, { email, next, error: throttledMessage(outcome.retryAfterSeconds ?? 60) })
        }
        return renderLogin(c, 401, { email, next, error: INVALID_CREDENTIALS })
      }

      const { user } = outcome
      // Only the right password gets here, so saying "unverified" tells
      // nothing a stranger could not already log in to see.
      if (!user.emailVerifiedAt) {
        audit('login_failure', {
          requestId,
          ip,
          sessionId: session.id ?? undefined,
          userId: user.id,
          reason: 'unverified',
        })
        await recovery.resendVerification(user, { requestId, ip })
        return renderLogin(c, 403, { email, error: VERIFY_FIRST })
      }
      // A browser new to the account gets its owner a notice: whoever it is knows the password.
      const device = describeDevice(c.req.header('user-agent'))
      if (!devices.knownDeviceId(deviceCookie, user.email)) {
        await notices.newDeviceSignIn(user.email, { ip, device, at: now() })
      }
      // Remembered once the whole sign-in is done (with the app on, at the
      // second step): a browser the account knows has its own budget when the
      // account's caps are reached, which a password alone must not earn.
      if (await secondFactors.appOn(user.id)) {
        const pending = await session.beginPending(user.id, now() + secondStepSeconds * 1000, { proof, next })
        audit('second_factor_required', { requestId, ip, sessionId: pending.id, userId: user.id })
        return redirect(c, '/login/verify')
      }
      const fresh = await session.signIn(user, { method: 'password', device, ip, proof })
      if (!fresh) {
        audit('login_failure', { requestId, ip, userId: user.id, reason: 'credentials_changed' })
        return renderLogin(c, 401, { email, error: INVALID_CREDENTIALS })
      }
      c.header('Set-Cookie', devices.remember(deviceCookie, user.email), { append: true })
      audit('login_success', { requestId, ip, sessionId: fresh.id, userId: user.id, device })
      for (const sessionId of fresh.ended)
        audit('session_revoked', { requestId, ip, sessionId, userId: user.id, reason: 'session_cap' })
      return redirect(c, next ?? '/')
    })
    .get('/logout', async (c) => {
      const state = await c.get('session').load()
      return c.html(<LogoutPage session={state} csrfToken={state.csrfToken} now={now()} />)
    })
    .post('/logout', async (c) => {
      const session = c.get('session')
      const sessionId = session.id ?? undefined
      // Browsers that apply Clear-Site-Data's "cookies" after this response's
      // Set-Cookie (Chromium does) drop the fresh session too, and show no notice.
      const ended = await session.restartWithNotice(LOGGED_OUT_NOTICE)
      audit('logout', { requestId: c.get('requestId'), ip: clientIpOf(c), sessionId, userId: ended?.userId })
      // Not "cookies": the session cookie is already expired by Set-Cookie and
      // its session deleted, while "cookies" would also drop the fresh session
      // carrying the notice (Chromium applies it after this response's cookies)
      // and log the visitor out of every sibling site on the registrable domain.
      c.header('Clear-Site-Data', '"cache", "storage"')
      if (session.unstoredNotice) return c.html(<LoggedOutPage notice={session.unstoredNotice} />)
      return redirect(c, '/')
    })
}

/** Logged out, said on this answer itself: no new session could carry the notice to the next page. */
function LoggedOutPage({ notice }: { notice: string }) {
  return (
    <Layout title="Logged out" loggedIn={false} csrfToken={null} flash={notice}>
      <p>You are logged out. This site cannot start a new session right now; try the home page again in a moment.</p>
    </Layout>
  )
}
