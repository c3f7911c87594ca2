import { Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import { z } from 'zod'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import type { Authenticator } from '../auth/authenticator.ts'
import type { CredentialGate } from '../auth/credential-gate.ts'
import { DEVICE_COOKIE, type DeviceCookies } from '../auth/device-cookie.ts'
import { codeForm, passkeySignInForm } from '../auth/factor-forms.ts'
import { fieldErrors, loginForm } from '../auth/forms.ts'
import { OverloadedError } from '../auth/overloaded.ts'
import { countedPasskeyCheck } from '../auth/passkey-attempts.ts'
import type { Passkeys } from '../auth/passkeys.ts'
import type { SecondFactors } from '../auth/second-factors.ts'
import type { AttemptThrottle } from '../auth/throttle.ts'
import type { UserRepository } from '../db/users.ts'
import { clientIpOf } from '../http/client-ip.ts'
import { readForm } from '../http/form.ts'
import { gateOptions } from '../http/gate-options.ts'
import { redirect } from '../http/htmx.ts'
import { loginUrl } from '../http/next-path.ts'
import { requireUser } from '../http/require-user.ts'
import type { Sessions } from '../session/sessions.ts'
import { ServiceUnavailableError } from '../unavailable.ts'
import { INVALID_CREDENTIALS, throttledMessage } from './auth.tsx'
import { copiedPasskey } from './copied-passkey.ts'
import { type FreshProofOptions, renderReauth, safeNext } from './fresh-proof.tsx'
import { type MethodChangedDeps, recoveryCodeUsed } from './method-changed.ts'

export type ConfirmDeps = {
  authenticator: Authenticator
  credentialGate: CredentialGate
  devices: DeviceCookies
  audit: AuditLog
  proof: FreshProofOptions
  secondFactors: SecondFactors
  passkeys: Passkeys
  throttle: AttemptThrottle
  users: Pick<UserRepository, 'findById'>
  /** For a passkey found copied, which ends every session of its user. */
  sessions: Pick<Sessions, 'endAll'>
} & Omit<MethodChangedDeps, 'now'>

const confirmForm = z.object({ password: loginForm.shape.password })

const CODE_REFUSED = {
  wrong: 'That code is not right.',
  replayed: 'That code has just been used.',
  locked: 'Too many wrong codes. Try again later.',
  app_locked: 'Too many wrong codes for this account: use a recovery code, or confirm with a passkey.',
} as const

const CODE_REFUSED_STATUS = { wrong: 401, replayed: 401, locked: 429, app_locked: 403 } as const

const PASSKEY_REFUSED = 'That passkey could not confirm it was you. Try again, or use your password.'
const PASSKEY_COPIED =
  'That passkey was used from two devices, so it was removed and you were logged out everywhere. Log in with your password.'

/**
 * Re-authentication: GET /account/confirm shows the "Confirm it's you" form,
 * POST /account/confirm checks the password exactly as a login would (same
 * throttle, same messages), marks the session's proof fresh and 303s to `next`
 * (a path on this site, else "/"). Nothing is replayed.
 *
 * With the authenticator app on, it is a full re-authentication (ASVS 5.0
 * 7.5.1): the password and then a code, counted like the second step of a
 * sign-in. Otherwise a stolen session that learned the password could add its
 * own passkey or move the account's email without the second factor.
 *
 * A passkey of the user's confirms on its own (POST /account/confirm/passkey
 * after POST /account/confirm/passkey/options): it is a second factor and a
 * verified user in one, and cannot be phished. Its attempts count in the
 * login throttle as passkey sign-ins do.
 */
export function confirmRoutes({
  authenticator,
  credentialGate,
  devices,
  audit,
  proof,
  secondFactors,
  passkeys,
  throttle,
  users,
  ...changes
}: ConfirmDeps) {
  const usedRecoveryCode = recoveryCodeUsed({ ...changes, audit, now: proof.now })
  const copiedPasskeyUsed = copiedPasskey({ ...changes, users, secondFactors, audit, now: proof.now })
  return new Hono<AppEnv>()
    .get('/account/confirm', async (c) => {
      const signedIn = await requireUser(c)
      return renderReauth(c, signedIn, 200, { next: safeNext(c.req.query('next')), replacing: 'main' }, proof)
    })
    .post('/account/confirm', async (c) => {
      const signedIn = await requireUser(c)
      const form = await readForm(c)
      const next = safeNext(form.next)
      const userId = signedIn.user.id
      // One lookup: the page drawn again after a refusal finds the passkeys itself.
      const askCode = await secondFactors.appOn(userId)
      const render = (status: 401 | 403 | 422 | 429 | 503, error: string) =>
        renderReauth(c, signedIn, status, { next, error, replacing: 'form', askCode }, proof)
      const parsed = confirmForm.safeParse(form)
      if (!parsed.success) return render(422, fieldErrors(parsed.error).password ?? 'Password is required.')
      const code = askCode ? codeForm.safeParse(form) : undefined
      if (code && !code.success) return render(422, fieldErrors(code.error).code ?? 'Enter the code.')

      const session = c.get('session')
      const requestId = c.get('requestId')
      const ip = clientIpOf(c)
      let outcome: Awaited<ReturnType<Authenticator['verifyPassword']>>
      try {
        outcome = await credentialGate.run(
          () =>
            authenticator.verifyPassword(signedIn.user.email, parsed.data.password, ip, {
              signal: c.req.raw.signal,
              knownDeviceId: devices.knownDeviceId(getCookie(c, DEVICE_COOKIE), signedIn.user.email),
            }),
          gateOptions(c),
        )
      } catch (error) {
        if (error instanceof OverloadedError || c.req.raw.signal.aborted) {
          c.header('Retry-After', String(error instanceof OverloadedError ? error.retryAfterSeconds : 2))
          return render(503, 'The server is busy. Please try again in a moment.')
        }
        if (!(error instanceof ServiceUnavailableError && error.service === 'database')) throw error
        c.header('Retry-After', '5')
        return render(503, 'Checking your password is temporarily unavailable. Please try again in a moment.')
      }
      if (!outcome.ok) {
        const reason = `reauth_${outcome.reason}`
        audit('login_failure', { requestId, ip, sessionId: session.id ?? undefined, userId, reason })
        if (outcome.reason === 'throttled') {
          c.header('Retry-After', String(outcome.retryAfterSeconds ?? 60))
          return render(429, throttledMessage(outcome.retryAfterSeconds ?? 60))
        }
        return render(401, INVALID_CREDENTIALS)
      }
      let method = 'password'
      if (code) {
        // Checked only after a right password, so the answer says nothing about the code to a guesser.
        const check = await secondFactors.verifyAtSignIn(userId, code.data.code, proof.now())
        if (!check.ok) {
          audit('login_failure', { requestId, ip, sessionId: session.id ?? undefined, userId, reason: 'reauth_code' })
          if (check.reason === 'locked') c.header('Retry-After', String(check.retryAfterSeconds))
          return render(CODE_REFUSED_STATUS[check.reason], CODE_REFUSED[check.reason])
        }
        method = check.method === 'totp' ? 'password+app' : 'password+recovery-code'
        if (check.method === 'recovery_code') {
          await usedRecoveryCode(c, signedIn.user, 'A recovery code was used to confirm it was you')
        }
      }
      // Ended meanwhile (revoked, or renewed by a confirmation in another tab): it proves nothing now.
      if (!(await session.reauthenticated())) return session.refuseEnded()
      audit('reauthenticated', { requestId, ip, sessionId: session.id ?? undefined, userId, reason: method })
      return redirect(c, next)
    })
    .post('/account/confirm/passkey/options', async (c) => {
      const state = await c.get('session').load()
      if (!state.userId) {
        // Asked by the page's script (fetch), which follows `redirect`: a 303 would hand it the login page's HTML.
        const redirect = loginUrl('/account/confirm')
        return c.json({ error: 'Your session has ended. Log in again.', redirect }, 401)
      }
      const options = await passkeys.confirmOptions(state.id, state.userId)
      if (!options) return c.json({ error: 'This account has no passkey. Confirm with your password.' }, 409)
      return c.json({ options })
    })
    .post('/account/confirm/passkey', async (c) => {
      const signedIn = await requireUser(c)
      const form = await readForm(c)
      const next = safeNext(form.next)
      const userId = signedIn.user.id
      const render = (status: 401 | 422 | 429, passkeyError: string) =>
        renderReauth(c, signedIn, status, { next, passkeyError, replacing: 'main' }, proof)
      const parsed = passkeySignInForm.safeParse(form)
      if (!parsed.success) return render(422, fieldErrors(parsed.error).response ?? PASSKEY_REFUSED)

      const session = c.get('session')
      const requestId = c.get('requestId')
      const ip = clientIpOf(c)
      const sessionId = signedIn.state.id
      const counted = await countedPasskeyCheck(
        throttle,
        ip,
        () => passkeys.verifyConfirm(sessionId, userId, parsed.data.response),
        (result) => result.ok,
      )
      if (counted.throttled) {
        audit('login_failure', { requestId, ip, sessionId, userId, reason: 'throttled' })
        c.header('Retry-After', String(counted.retryAfterSeconds))
        return render(429, throttledMessage(counted.retryAfterSeconds))
      }
      const { result } = counted
      if (!result.ok && result.reason === 'counter') {
        // Only the user's own passkeys get this far: every session of theirs ends, this one too.
        await copiedPasskeyUsed(c, result.passkey, 'confirm it was you')
        audit('login_failure', { requestId, ip, sessionId, userId, reason: 'passkey_counter' })
        await session.restartWithNotice(PASSKEY_COPIED)
        return redirect(c, '/login')
      }
      if (!result.ok) {
        audit('login_failure', { requestId, ip, sessionId, userId, reason: 'reauth_passkey_failed' })
        return render(401, PASSKEY_REFUSED)
      }
      if (!(await session.reauthenticated())) return session.refuseEnded()
      await secondFactors.clearWrongCodes(userId)
      audit('reauthenticated', { requestId, ip, sessionId: session.id ?? undefined, userId, reason: 'passkey' })
      return redirect(c, next)
    })
}
