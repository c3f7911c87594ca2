import { type Context, Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import { describeDevice } from '../auth/device.ts'
import { DEVICE_COOKIE, type DeviceCookies } from '../auth/device-cookie.ts'
import { codeForm, passkeySignInForm } from '../auth/factor-forms.ts'
import { fieldErrors } from '../auth/forms.ts'
import { countedPasskeyCheck } from '../auth/passkey-attempts.ts'
import type { Passkeys } from '../auth/passkeys.ts'
import type { SecondFactors } from '../auth/second-factors.ts'
import type { AttemptThrottle } from '../auth/throttle.ts'
import type { User } from '../db/schema.ts'
import type { UserRepository } from '../db/users.ts'
import { clientIpOf } from '../http/client-ip.ts'
import { readForm } from '../http/form.ts'
import { isHtmx, redirect, renderForm } from '../http/htmx.ts'
import { safeNextPath } from '../http/next-path.ts'
import type { AccountRecovery } from '../recovery/account-recovery.ts'
import type { SecurityNotices } from '../recovery/notices.ts'
import type { ActiveSession, ProofStart } from '../session/request-session.ts'
import type { Sessions } from '../session/sessions.ts'
import type { SignInMethod } from '../session/store.ts'
import { LoginPage } from '../views/pages/login.tsx'
import { VerifyForm, VerifyPage } from '../views/pages/login-verify.tsx'
import { throttledMessage } from './auth.tsx'
import { copiedPasskey } from './copied-passkey.ts'
import { recoveryCodeUsed } from './method-changed.ts'

export type SecondStepDeps = {
  sessions: Sessions
  users: UserRepository
  throttle: AttemptThrottle
  secondFactors: SecondFactors
  passkeys: Passkeys
  notices: SecurityNotices
  devices: DeviceCookies
  recovery: Pick<AccountRecovery, 'voidPendingLinks'>
  audit: AuditLog
  now: () => number
}

/** How long the second step may take after a right password. */
export const SECOND_STEP_SECONDS = 5 * 60
/** Wrong codes one pending sign-in may try before it ends. */
export const MAX_PENDING_FAILURES = 5

export const SECOND_STEP_EXPIRED = 'That took too long. Log in again.'
export const TOO_MANY_CODES = 'Too many wrong codes. Log in again.'
const WRONG_CODE = 'That code is not right. Check your app and try again.'
const USED_CODE = 'That code has just been used. Wait for the next one in your app.'
export const APP_LOCKED =
  'Too many wrong codes for this account: codes from the authenticator app are refused until you sign in with a recovery code or a passkey.'
const PASSKEY_FAILED = 'That passkey could not sign you in. Try again, or log in with your password.'

const METHOD_AFTER_PASSWORD = { totp: 'password+app', recovery_code: 'recovery-code' } as const

/**
 * The second step of a sign-in and passkey sign-in: GET/POST /login/verify,
 * POST /login/passkey/options, POST /login/passkey. A session waiting for its
 * second step (pending) holds a user ID and a deadline only; nothing treats it
 * as signed in.
 */
export function secondStepRoutes(deps: SecondStepDeps) {
  const { users, throttle, secondFactors, passkeys, devices, audit, now } = deps
  const context = (c: Context<AppEnv>) => ({ requestId: c.get('requestId'), ip: clientIpOf(c) })
  const usedRecoveryCode = recoveryCodeUsed(deps)
  const copiedPasskeyUsed = copiedPasskey(deps)

  /** The pending sign-in of this request's session, ended (with a notice) when its time is up. */
  async function pendingOf(c: Context<AppEnv>): Promise<{ state: ActiveSession; user: User } | null> {
    const session = c.get('session')
    const state = await session.load()
    if (!state.pendingUserId) return null
    if ((state.pendingUntil ?? 0) <= now()) {
      audit('login_failure', { ...context(c), userId: state.pendingUserId, reason: 'second_factor_timeout' })
      await session.restartWithNotice(SECOND_STEP_EXPIRED)
      return null
    }
    const user = await users.findById(state.pendingUserId)
    if (!user) {
      await session.restartWithNotice(SECOND_STEP_EXPIRED)
      return null
    }
    return { state, user }
  }

  /** Null when the password proof began before the user's sessions were last ended (e.g. a password change). */
  async function finishSignIn(c: Context<AppEnv>, user: User, method: SignInMethod, proof?: ProofStart) {
    const { requestId, ip } = context(c)
    const device = describeDevice(c.req.header('user-agent'))
    const fresh = await c.get('session').signIn(user, { method, device, ip, proof })
    if (!fresh) {
      audit('login_failure', { requestId, ip, userId: user.id, reason: 'credentials_changed' })
      return null
    }
    // The whole sign-in is done: from now on this is a browser the account knows.
    c.header('Set-Cookie', devices.remember(getCookie(c, DEVICE_COOKIE), user.email), { append: true })
    audit('login_success', { requestId, ip, sessionId: fresh.id, userId: user.id, device, reason: method })
    for (const sessionId of fresh.ended)
      audit('session_revoked', { requestId, ip, sessionId, userId: user.id, reason: 'session_cap' })
    return fresh
  }

  function renderVerify(c: Context<AppEnv>, state: ActiveSession, status: 200 | 401 | 403 | 422 | 429, error?: string) {
    return renderForm(c, status, {
      form: () => <VerifyForm csrfToken={state.csrfToken} error={error} />,
      page: async () => {
        const { passkeys: count } = await secondFactors.summary(state.pendingUserId!)
        return <VerifyPage csrfToken={state.csrfToken} error={error} session={state} hasPasskeys={count > 0} />
      },
    })
  }

  /**
   * Ends the pending sign-in after too many codes: 429 with Retry-After, and
   * the login page, whose notice (the new session's flash) says why. For htmx
   * the browser is sent there; a fragment of a whole page would nest it.
   */
  async function tooManyCodes(c: Context<AppEnv>, retryAfterSeconds: number) {
    const session = c.get('session')
    await session.restartWithNotice(TOO_MANY_CODES)
    c.header('Retry-After', String(retryAfterSeconds))
    if (isHtmx(c)) {
      c.header('HX-Redirect', '/login')
      return c.body(null, 429)
    }
    // The notice shows as the flash; the form says it only when it could not be stored.
    return renderLoginError(c, 429, session.unstoredNotice ?? undefined)
  }

  async function renderLoginError(c: Context<AppEnv>, status: 401 | 429, error?: string, next?: string) {
    const state = await c.get('session').load()
    return c.html(
      <LoginPage
        csrfToken={state.csrfToken}
        session={state}
        now={now()}
        error={error}
        next={next}
        passkeyAutofill={false}
      />,
      status,
    )
  }

  return new Hono<AppEnv>()
    .get('/login/verify', async (c) => {
      const pending = await pendingOf(c)
      if (!pending) return redirect(c, '/login')
      return renderVerify(c, pending.state, 200)
    })
    .post('/login/verify', async (c) => {
      const pending = await pendingOf(c)
      if (!pending) return redirect(c, '/login')
      const { state, user } = pending
      const parsed = codeForm.safeParse(await readForm(c))
      if (!parsed.success) return renderVerify(c, state, 422, fieldErrors(parsed.error).code)

      const session = c.get('session')
      const { requestId, ip } = context(c)
      // Each code tried is a login attempt for this account and address.
      const verdict = await throttle.reserve(ip, user.email)
      if (!verdict.allowed) {
        audit('login_failure', { requestId, ip, sessionId: state.id, userId: user.id, reason: 'throttled' })
        return tooManyCodes(c, verdict.retryAfterSeconds)
      }
      const check = await secondFactors.verifyAtSignIn(user.id, parsed.data.code, now())
      if (check.ok) {
        await throttle.release(ip, user.email, 'success')
        const proof = state.provedAt === undefined ? undefined : { at: state.provedAt }
        const fresh = await finishSignIn(c, user, METHOD_AFTER_PASSWORD[check.method], proof)
        if (!fresh) {
          await session.restartWithNotice(SECOND_STEP_EXPIRED)
          return redirect(c, '/login')
        }
        if (check.method === 'recovery_code') {
          // A used recovery code may mean a lost phone: whoever else is signed in goes.
          await usedRecoveryCode(c, user, 'A recovery code was used to sign in')
          const left = (await secondFactors.status(user.id, now())).recoveryCodesLeft
          await session.flash(
            `Signed in with a recovery code; ${left} left. Other browsers were logged out. If you lost your phone, turn the authenticator app off and on again in Security.`,
          )
        }
        return redirect(c, safeNextPath(state.pendingNext) ?? '/')
      }
      if (check.reason === 'locked') {
        audit('login_failure', { requestId, ip, sessionId: state.id, userId: user.id, reason: 'second_factor_locked' })
        return tooManyCodes(c, check.retryAfterSeconds)
      }
      if (check.reason === 'app_locked') {
        audit('login_failure', {
          requestId,
          ip,
          sessionId: state.id,
          userId: user.id,
          reason: 'second_factor_app_locked',
        })
        return renderVerify(c, state, 403, APP_LOCKED)
      }
      audit('login_failure', { requestId, ip, sessionId: state.id, userId: user.id, reason: 'wrong_second_factor' })
      const failures = await secondFactors.countPendingFailure(state.id, SECOND_STEP_SECONDS * 1000)
      if (failures >= MAX_PENDING_FAILURES) {
        await session.restartWithNotice(TOO_MANY_CODES)
        return redirect(c, '/login')
      }
      return renderVerify(c, state, 401, check.reason === 'replayed' ? USED_CODE : WRONG_CODE)
    })
    .post('/login/passkey/options', async (c) => {
      const state = await c.get('session').load()
      // While a password waits for its second step, only that user's passkeys may answer.
      const pendingUser = state.pendingUserId && (state.pendingUntil ?? 0) > now() ? state.pendingUserId : undefined
      const options = await passkeys.signInOptions(state.id, pendingUser)
      return c.json({ options })
    })
    .post('/login/passkey', async (c) => {
      const session = c.get('session')
      const state = await session.load()
      const form = await readForm(c)
      const pendingUser = state.pendingUserId && (state.pendingUntil ?? 0) > now() ? state.pendingUserId : undefined
      // A pending sign-in took its next at the password; the login page's passkey form carries its own.
      const next = safeNextPath(pendingUser ? state.pendingNext : form.next)
      const parsed = passkeySignInForm.safeParse(form)
      if (!parsed.success) return renderLoginError(c, 401, fieldErrors(parsed.error).response ?? PASSKEY_FAILED, next)
      const { requestId, ip } = context(c)
      let proof: ProofStart | undefined
      const counted = await countedPasskeyCheck(
        throttle,
        ip,
        async () => {
          // After a password, the proof began there; else here, before the
          // passkey is looked up: removed, or the user's sessions ended, while
          // it was checked, it signs nobody in.
          proof = pendingUser && state.provedAt !== undefined ? { at: state.provedAt } : await session.startProof()
          return passkeys.verifySignIn(state.id, parsed.data.response)
        },
        (result) => result.ok && (!pendingUser || result.passkey.userId === pendingUser),
      )
      if (counted.throttled) {
        audit('login_failure', { requestId, ip, sessionId: state.id, reason: 'throttled' })
        c.header('Retry-After', String(counted.retryAfterSeconds))
        const message = throttledMessage(counted.retryAfterSeconds)
        if (pendingUser) return renderVerify(c, state, 429, message)
        return renderLoginError(c, 429, message, next)
      }
      const { result } = counted
      if (!result.ok && result.reason === 'counter') await copiedPasskeyUsed(c, result.passkey, 'sign in')
      if (!result.ok || (pendingUser && result.passkey.userId !== pendingUser)) {
        const reason = !result.ok && result.reason === 'counter' ? 'passkey_counter' : 'passkey_failed'
        const userId = result.ok || result.reason === 'counter' ? result.passkey.userId : undefined
        audit('login_failure', { requestId, ip, sessionId: state.id, userId, reason })
        if (pendingUser) return renderVerify(c, state, 401, PASSKEY_FAILED)
        return renderLoginError(c, 401, PASSKEY_FAILED, next)
      }
      const user = await users.findById(result.passkey.userId)
      if (!user || !(await finishSignIn(c, user, 'passkey', proof)))
        return renderLoginError(c, 401, PASSKEY_FAILED, next)
      await secondFactors.clearWrongCodes(user.id)
      return redirect(c, next ?? '/')
    })
}
