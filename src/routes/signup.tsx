import { type Context, Hono } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import type { CredentialGate } from '../auth/credential-gate.ts'
import { describeDevice } from '../auth/device.ts'
import type { EmailHash } from '../auth/email-hash.ts'
import { fieldErrors, signupForm, submittedText } from '../auth/forms.ts'
import type { NewPasswordCheck } from '../auth/new-password.ts'
import { OverloadedError } from '../auth/overloaded.ts'
import type { PasswordHasher } from '../auth/password-hasher.ts'
import type { AttemptThrottle } from '../auth/throttle.ts'
import type { User } from '../db/schema.ts'
import { DuplicateEmailError, type UserRepository } from '../db/users.ts'
import { readForm } from '../http/form.ts'
import { redirect, renderForm } from '../http/htmx.ts'
import { ServiceUnavailableError } from '../unavailable.ts'
import { SignupForm, type SignupFormProps, SignupPage } from '../views/pages/signup.tsx'

export type SignupDeps = {
  users: UserRepository
  hasher: PasswordHasher
  throttle: AttemptThrottle
  credentialGate: CredentialGate
  newPasswordCheck: NewPasswordCheck
  emailHash: EmailHash
  audit: AuditLog
}

export const WELCOME = 'Welcome! Your account is ready.'
const SIGNUP_THROTTLED = 'Too many attempts from your network. Please try again later.'
const SIGNUP_UNAVAILABLE = 'Signing up is temporarily unavailable. Please try again in a moment.'
const SIGNUP_BUSY = 'Too many people are signing up right now. Please try again in a moment.'

type Refusal = { status: 409 | 422 | 429; props: Omit<SignupFormProps, 'csrfToken'>; reason: string }

/** Account creation: GET/POST /signup. */
export function signupRoutes({
  users,
  hasher,
  throttle,
  credentialGate,
  newPasswordCheck,
  emailHash,
  audit,
}: SignupDeps) {
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

  /*
   * Every sign-up attempt spends the client's per-IP attempt budget before
   * any expensive work (the strength estimate, the breach lookup, bcrypt): the
   * "already exists" answer cannot be used to test emails in bulk, nor sign-ups
   * to burn CPU or create accounts by the thousand. A refused password spends
   * it too, but clears the email's own count: retrying with a better password
   * is not guessing.
   */
  async function createAccount(
    c: Context<AppEnv>,
    { email, password }: { email: string; password: string },
  ): Promise<User | Refusal> {
    const ip = c.get('clientIp')
    const verdict = await throttle.reserve(ip, email)
    if (!verdict.allowed) {
      c.header('Retry-After', String(verdict.retryAfterSeconds))
      return { status: 429, props: { email, error: SIGNUP_THROTTLED }, reason: 'throttled' }
    }
    try {
      return await credentialGate.run(async () => {
        const problem = await newPasswordCheck(password, email)
        if (!problem) return users.create(email, await hasher.hash(password, { signal: c.req.raw.signal }))
        await throttle.release(ip, email, 'spent')
        return { status: 422, props: { email, fieldErrors: { password: problem } }, reason: 'weak_password' } as const
      })
    } catch (error) {
      if (error instanceof DuplicateEmailError) {
        return {
          status: 409,
          props: { email, fieldErrors: { email: 'An account with this email already exists. Log in instead?' } },
          reason: 'duplicate',
        }
      }
      await throttle.release(ip, email, 'undo').catch(() => {})
      throw error
    }
  }

  return new Hono<AppEnv>()
    .get('/signup', (c) => renderSignup(c, 200))
    .post('/signup', async (c) => {
      const form = await readForm(c)
      const parsed = signupForm.safeParse(form)
      const email = submittedText(form.email)
      if (!parsed.success) return renderSignup(c, 422, { email, fieldErrors: fieldErrors(parsed.error) })

      const requestId = c.get('requestId')
      const ip = c.get('clientIp')
      let created: User | Refusal
      try {
        created = await createAccount(c, parsed.data)
      } catch (error) {
        if (error instanceof OverloadedError || c.req.raw.signal.aborted) {
          audit('signup_failure', { requestId, ip, reason: 'busy' })
          c.header('Retry-After', String(error instanceof OverloadedError ? error.retryAfterSeconds : 2))
          return renderSignup(c, 503, { email, error: SIGNUP_BUSY })
        }
        if (!(error instanceof ServiceUnavailableError && error.service === 'database')) throw error
        audit('signup_failure', { requestId, ip, reason: 'unavailable', error: error.message })
        c.header('Retry-After', '5')
        return renderSignup(c, 503, { email, error: SIGNUP_UNAVAILABLE })
      }
      if (!('id' in created)) {
        audit('signup_failure', { requestId, ip, emailHash: emailHash(parsed.data.email), reason: created.reason })
        return renderSignup(c, created.status, created.props)
      }

      const fresh = await c.get('session').signIn(created, {
        method: 'password',
        device: describeDevice(c.req.header('user-agent')),
        ip,
        flash: WELCOME,
      })
      audit('signup', { requestId, ip, sessionId: fresh.id, userId: created.id, emailHash: emailHash(created.email) })
      return redirect(c, '/')
    })
}
