import { Hono, type Context } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import { describeDevice } from '../auth/device.ts'
import { fieldErrors, signupForm, submittedText } from '../auth/forms.ts'
import type { PasswordHasher } from '../auth/password-hasher.ts'
import { emailHash } from '../auth/throttle.ts'
import { DuplicateEmailError, type UserRepository } from '../db/users.ts'
import { readForm } from '../http/form.ts'
import { isHtmx, noStore, redirect, varyOnHtmx } from '../http/htmx.ts'
import { ServiceUnavailableError } from '../unavailable.ts'
import { SignupForm, SignupPage, type SignupFormProps } from '../views/pages/signup.tsx'

export type SignupDeps = { users: UserRepository; hasher: PasswordHasher; audit: AuditLog }

export const WELCOME = 'Welcome! Your account is ready.'
const SIGNUP_UNAVAILABLE = 'Signing up is temporarily unavailable. Please try again in a moment.'

/** Account creation: GET/POST /signup. */
export function signupRoutes({ users, hasher, audit }: SignupDeps) {
  async function renderSignup(c: Context<AppEnv>, status: 200 | 409 | 422 | 503, props: Omit<SignupFormProps, 'csrfToken'> = {}) {
    const session = c.get('session')
    noStore(c)
    varyOnHtmx(c)
    if (isHtmx(c) && c.req.method === 'POST') {
      return c.html(<SignupForm {...props} csrfToken={session.csrfToken!} />, status)
    }
    const state = await session.load()
    return c.html(<SignupPage {...props} csrfToken={session.csrfToken!} session={state} />, status)
  }

  return new Hono<AppEnv>()
    .get('/signup', (c) => renderSignup(c, 200))
    .post('/signup', async (c) => {
      const form = await readForm(c)
      const parsed = signupForm.safeParse(form)
      const email = submittedText(form.email)
      if (!parsed.success) return renderSignup(c, 422, { email, fieldErrors: fieldErrors(parsed.error) })

      let user
      try {
        user = await users.create(parsed.data.email, await hasher.hash(parsed.data.password))
      } catch (error) {
        if (error instanceof ServiceUnavailableError && error.service === 'database') {
          c.header('Retry-After', '5')
          return renderSignup(c, 503, { email, error: SIGNUP_UNAVAILABLE })
        }
        if (!(error instanceof DuplicateEmailError)) throw error
        return renderSignup(c, 409, {
          email,
          fieldErrors: { email: 'An account with this email already exists. Log in instead?' },
        })
      }

      const ip = c.get('clientIp')
      const fresh = await c.get('session').regenerate({
        userId: user.id,
        email: user.email,
        device: describeDevice(c.req.header('user-agent')),
        ip,
        flash: WELCOME,
      })
      audit('signup', { requestId: c.get('requestId'), ip, sessionId: fresh.id, userId: user.id, emailHash: emailHash(user.email) })
      return redirect(c, '/')
    })
}
