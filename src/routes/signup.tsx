import { type Context, Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import { describeDevice } from '../auth/device.ts'
import { fieldErrors, signupForm, submittedText } from '../auth/forms.ts'
import type { PasswordHasher } from '../auth/password-hasher.ts'
import { emailHash, type LoginThrottle } from '../auth/throttle.ts'
import { DuplicateEmailError, type UserRepository } from '../db/users.ts'
import { readForm } from '../http/form.ts'
import { redirect, renderForm } from '../http/htmx.ts'
import { ServiceUnavailableError } from '../unavailable.ts'
import { SignupForm, type SignupFormProps, SignupPage } from '../views/pages/signup.tsx'

export type SignupDeps = { users: UserRepository; hasher: PasswordHasher; throttle: LoginThrottle; audit: AuditLog }

export const WELCOME = 'Welcome! Your account is ready.'
const SIGNUP_THROTTLED = 'Too many attempts from your network. Please try again later.'
const SIGNUP_UNAVAILABLE = 'Signing up is temporarily unavailable. Please try again in a moment.'

/** Account creation: GET/POST /signup. */
export function signupRoutes({ users, hasher, throttle, audit }: SignupDeps) {
  async function renderSignup(
    c: Context<AppEnv>,
    status: 200 | 409 | 422 | 429 | 503,
    props: Omit<SignupFormProps, 'csrfToken'> = {},
  ) {
    const state = await c.get('session').load()
    return renderForm(c, status, {
      form: () => <SignupForm {...props} csrfToken={state.csrfToken} />,
      page: () => <SignupPage {...props} csrfToken={state.csrfToken} session={state} />,
    })
  }

  return new Hono<AppEnv>()
    .get('/signup', (c) => renderSignup(c, 200))
    .post('/signup', async (c) => {
      const form = await readForm(c)
      const parsed = signupForm.safeParse(form)
      const email = submittedText(form.email)
      if (!parsed.success) return renderSignup(c, 422, { email, fieldErrors: fieldErrors(parsed.error) })

      // Every sign-up attempt spends the client's per-IP attempt budget before
      // any bcrypt work: the "already exists" answer cannot be used to test
      // emails in bulk, nor sign-ups to burn CPU or create accounts by the
      // thousand.
      const ip = c.get('clientIp')
      const verdict = await throttle.reserve(ip, parsed.data.email)
      if (!verdict.allowed) {
        c.header('Retry-After', String(verdict.retryAfterSeconds))
        return renderSignup(c, 429, { email, error: SIGNUP_THROTTLED })
      }

      let user: Awaited<ReturnType<UserRepository['create']>>
      try {
        user = await users.create(parsed.data.email, await hasher.hash(parsed.data.password))
      } catch (error) {
        if (!(error instanceof DuplicateEmailError))
          await throttle.release(ip, parsed.data.email, 'undo').catch(() => {})
        if (error instanceof ServiceUnavailableError && error.service === 'database') {
          audit('signup_failure', { requestId: c.get('requestId'), ip, reason: 'unavailable', error: error.message })
          c.header('Retry-After', '5')
          return renderSignup(c, 503, { email, error: SIGNUP_UNAVAILABLE })
        }
        if (!(error instanceof DuplicateEmailError)) throw error
        return renderSignup(c, 409, {
          email,
          fieldErrors: { email: 'An account with this email already exists. Log in instead?' },
        })
      }

      const fresh = await c.get('session').signIn(user, {
        method: 'password',
        device: describeDevice(c.req.header('user-agent')),
        ip,
        flash: WELCOME,
      })
      audit('signup', {
        requestId: c.get('requestId'),
        ip,
        sessionId: fresh.id,
        userId: user.id,
        emailHash: emailHash(user.email),
      })
      return redirect(c, '/')
    })
}
