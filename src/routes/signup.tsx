import { randomBytes } from 'node:crypto'
import { type Context, Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import type { CredentialGate } from '../auth/credential-gate.ts'
import { describeDevice } from '../auth/device.ts'
import { fieldErrors, signupForm, submittedText } from '../auth/forms.ts'
import type { NewPasswordCheck } from '../auth/new-password.ts'
import { OverloadedError } from '../auth/overloaded.ts'
import type { PasswordHasher } from '../auth/password-hasher.ts'
import type { AttemptThrottle } from '../auth/throttle.ts'
import { clientIpOf } from '../http/client-ip.ts'
import { readForm } from '../http/form.ts'
import { gateOptions } from '../http/gate-options.ts'
import { isHtmx, redirect, renderForm } from '../http/htmx.ts'
import { viewTemplate } from '../http/view-template.ts'
import { describeError, type Logger } from '../log.ts'
import type { AccountRecovery } from '../recovery/account-recovery.ts'
import { busyMarkup } from '../views/pages/busy.tsx'
import { DeadLinkPage, InboxNotice, InboxNoticePage } from '../views/pages/recovery.tsx'
import { SignupForm, type SignupFormProps, SignupPage } from '../views/pages/signup.tsx'
import { mailedLinkRoutes } from './mailed-link.tsx'

export type SignupDeps = {
  recovery: AccountRecovery
  hasher: PasswordHasher
  throttle: AttemptThrottle
  credentialGate: CredentialGate
  newPasswordCheck: NewPasswordCheck
  audit: AuditLog
  logger: Logger
}

export const SIGNUP_SENT = 'Check your inbox: we sent a link to finish signing up.'
export const WELCOME = 'Welcome! Your email is verified and your account is ready.'
export const CONFIRMED_ELSEWHERE = 'Your email is confirmed. To log in, set a password with “Forgot your password?”.'
const CONFIRM_SIGNUP_ELSEWHERE =
  'This link was opened in a browser other than the one that signed up. Confirm here and your address is verified, but you will then set your password again with “Forgot your password?”, since whoever signed up may not own this address. To log in at once instead, open the link in the browser you signed up in.'
const SIGNUP_THROTTLED = 'Too many attempts from your network. Please try again later.'
const SIGNUP_BUSY = 'Too many people are signing up right now. Please try again in a moment.'

type BusySignupProps = { csrfToken: string; email: string; page: boolean }

/* A refusal for load, the hot path of a sign-up flood: see busyLogin in routes/auth.tsx. */
const busySignup = viewTemplate<BusySignupProps, 'csrf' | 'email'>({
  name: 'busy signup',
  shape: ({ page }) => String(page),
  slots: ({ csrfToken, email }) => ({ csrf: csrfToken, email }),
  withSlots: (like, slots) => ({ ...like, csrfToken: slots.csrf, email: slots.email }),
  render: ({ page, ...props }) =>
    busyMarkup({
      page,
      title: 'Sign Up',
      csrfToken: props.csrfToken,
      form: <SignupForm {...props} error={SIGNUP_BUSY} />,
    }),
})

/** Account creation: GET/POST /signup, and GET /verify-email/<token> from the mail it sends. */
export function signupRoutes({
  recovery,
  hasher,
  throttle,
  credentialGate,
  newPasswordCheck,
  audit,
  logger,
}: SignupDeps) {
  async function renderSignup(
    c: Context<AppEnv>,
    status: 200 | 422 | 429 | 503,
    props: Omit<SignupFormProps, 'csrfToken'> = {},
  ) {
    const state = await c.get('session').load()
    return renderForm(c, status, {
      form: () => <SignupForm {...props} csrfToken={state.csrfToken} />,
      page: () => <SignupPage {...props} csrfToken={state.csrfToken} session={state} />,
    })
  }

  /* Refused for load: the form again, without reading the session. */
  function renderBusy(c: Context<AppEnv>, retryAfterSeconds: number, email: string) {
    c.header('Retry-After', String(retryAfterSeconds))
    // The CSRF check let this request in with it.
    const csrfToken = c.get('session').csrfToken ?? ''
    return c.html(busySignup({ csrfToken, email, page: !isHtmx(c) }), 503)
  }

  async function deadLink(c: Context<AppEnv>) {
    const state = await c.get('session').load()
    // Someone signed in already has a verified address: a new link is nothing they need.
    const again = state.userId
      ? { href: '/', text: 'Back to the home page' }
      : { href: '/login', text: 'Log in to get a new link' }
    return c.html(<DeadLinkPage session={state} csrfToken={state.csrfToken} again={again} />, 400)
  }

  /**
   * Uses the link: the browser session that signed up is logged in; anywhere
   * else the address is verified, nobody is signed in, and the password
   * chosen at sign-up is replaced (whoever chose it may not own the address).
   */
  async function verify(c: Context<AppEnv>, hash: string) {
    const session = c.get('session')
    const lockedPasswordHash = () => hasher.hash(randomBytes(32).toString('base64url'))
    const signingUpId = (await session.peek())?.id ?? null
    const verified = await recovery.verifyEmail(hash, signingUpId, lockedPasswordHash)
    if (!verified) return deadLink(c)
    const { user, signedUpHere } = verified
    const ip = clientIpOf(c)
    if (!signedUpHere) {
      audit('email_verified', { requestId: c.get('requestId'), ip, userId: user.id })
      // Redirected, so a reload of the answer does not post the used link again.
      await session.flash(CONFIRMED_ELSEWHERE)
      return redirect(c, '/login')
    }
    const fresh = await session.signIn(user, {
      method: 'email-link',
      device: describeDevice(c.req.header('user-agent')),
      ip,
      flash: WELCOME,
    })
    audit('email_verified', { requestId: c.get('requestId'), ip, sessionId: fresh.id, userId: user.id })
    // Another address signed up in this browser still signs it in with its own
    // link. A convenience: if it fails, that link asks for a click instead.
    if (signingUpId) {
      await recovery.carrySignupMarks(signingUpId, fresh.id).catch((error: unknown) => {
        logger.warn({ type: 'signup_marks_not_moved', ...describeError(error) }, 'signup_marks_not_moved')
      })
    }
    return redirect(c, '/')
  }

  return new Hono<AppEnv>()
    .get('/signup', (c) => renderSignup(c, 200))
    .post('/signup', async (c) => {
      const form = await readForm(c)
      const parsed = signupForm.safeParse(form)
      const email = submittedText(form.email)
      if (!parsed.success) return renderSignup(c, 422, { email, fieldErrors: fieldErrors(parsed.error) })

      const requestId = c.get('requestId')
      const ip = clientIpOf(c)
      const signal = c.req.raw.signal
      const signupKey = `signup ${parsed.data.email}`
      let checked: { passwordHash: string } | { problem: string } | { retryAfterSeconds: number }
      try {
        // The bound comes first: a sign-up refused for load costs no Redis command.
        checked = await credentialGate.run(async () => {
          // A form from a session that has ended is refused here, before any budget is spent.
          await c.get('session').load()
          // Every sign-up attempt spends the client's per-IP attempt budget before
          // any expensive work (the strength estimate, the breach lookup, bcrypt),
          // so sign-ups cannot burn CPU or fill inboxes in bulk. A refused
          // password clears the email's own sign-up count: retrying with a
          // better one is not guessing. That count is not the login's, which a
          // sign-up must never clear.
          const verdict = await throttle.reserve(ip, signupKey)
          if (!verdict.allowed) return { retryAfterSeconds: verdict.retryAfterSeconds }
          try {
            const problem = await newPasswordCheck(parsed.data.password, parsed.data.email)
            return problem ? { problem } : { passwordHash: await hasher.hash(parsed.data.password, { signal }) }
          } catch (error) {
            await throttle.release(ip, signupKey, 'undo').catch(() => {})
            throw error
          }
        }, gateOptions(c))
      } catch (error) {
        if (!(error instanceof OverloadedError || signal.aborted)) throw error
        audit('signup_failure', { requestId, ip, reason: 'busy' })
        return renderBusy(c, error instanceof OverloadedError ? error.retryAfterSeconds : 2, email)
      }
      if ('retryAfterSeconds' in checked) {
        audit('signup_failure', { requestId, ip, reason: 'throttled' })
        c.header('Retry-After', String(checked.retryAfterSeconds))
        return renderSignup(c, 429, { email, error: SIGNUP_THROTTLED })
      }
      if ('problem' in checked) {
        await throttle.release(ip, signupKey, 'spent')
        audit('signup_failure', { requestId, ip, reason: 'weak_password' })
        return renderSignup(c, 422, { email, fieldErrors: { password: checked.problem } })
      }

      // The same work and the same answer for a new and a registered address:
      // the queue decides, after the answer, whether to create the account or
      // tell the address's owner someone tried.
      const state = await c.get('session').load()
      await recovery.rememberSignup(state.id, parsed.data.email, checked.passwordHash)
      // Queued last, so the worker's work cannot overlap this answer.
      await recovery.requestSignup({ email: parsed.data.email, passwordHash: checked.passwordHash, ip, requestId })
      return renderForm(c, 200, {
        form: () => <InboxNotice message={SIGNUP_SENT} />,
        page: () => (
          <InboxNoticePage title="Check Your Inbox" message={SIGNUP_SENT} session={state} csrfToken={state.csrfToken} />
        ),
      })
    })
    .route(
      '/',
      mailedLinkRoutes('/verify-email/:token', {
        usableHere: async (c, hash) => {
          const sessionId = (await c.get('session').peek())?.id ?? null
          return (await recovery.verificationLink(hash, sessionId))?.signedUpHere ?? null
        },
        use: verify,
        dead: deadLink,
        ask: {
          title: 'Confirm Your Email',
          heading: 'Confirm your email',
          explanation: CONFIRM_SIGNUP_ELSEWHERE,
          button: 'Confirm my email',
        },
      }),
    )
}
