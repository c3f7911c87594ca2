import { type Context, Hono } from 'hono'
import { getCookie } from 'hono/cookie'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import type { Authenticator } from '../auth/authenticator.ts'
import type { CredentialGate } from '../auth/credential-gate.ts'
import { describeDevice } from '../auth/device.ts'
import { DEVICE_COOKIE, type DeviceCookies } from '../auth/device-cookie.ts'
import { fieldErrors, passwordChangeForm } from '../auth/forms.ts'
import type { NewPasswordCheck } from '../auth/new-password.ts'
import { OverloadedError } from '../auth/overloaded.ts'
import type { PasswordHasher } from '../auth/password-hasher.ts'
import type { UserRepository } from '../db/users.ts'
import { clientIpOf } from '../http/client-ip.ts'
import { readForm } from '../http/form.ts'
import { gateOptions } from '../http/gate-options.ts'
import { isHtmx, redirect, renderForm } from '../http/htmx.ts'
import { onlyParam } from '../http/only-param.ts'
import { requireUser, type SignedIn } from '../http/require-user.ts'
import type { AccountRecovery } from '../recovery/account-recovery.ts'
import type { SecurityNotices } from '../recovery/notices.ts'
import { LOGGED_OUT_NOTICE } from '../session/request-session.ts'
import type { Sessions } from '../session/sessions.ts'
import type { StoredSession } from '../session/store.ts'
import { PasswordForm, type PasswordFormProps, PasswordPage } from '../views/pages/password.tsx'
import { SessionsPage } from '../views/pages/sessions.tsx'
import { Flash } from '../views/partials/flash.tsx'
import { SessionList } from '../views/partials/session-list.tsx'
import { timeoutFor } from '../views/partials/session-timeout.tsx'
import { throttledMessage } from './auth.tsx'
import type { RequireFreshProof } from './fresh-proof.tsx'

export type AccountDeps = {
  sessions: Sessions
  authenticator: Authenticator
  users: UserRepository
  hasher: PasswordHasher
  credentialGate: CredentialGate
  devices: DeviceCookies
  newPasswordCheck: NewPasswordCheck
  audit: AuditLog
  /** Guards the sensitive actions: ending sessions needs a recent proof of the password. */
  requireFreshProof: RequireFreshProof
  /** Whether a proof takes a second factor too (the authenticator app is on): then the password alone does not refresh it. */
  needsCode: (userId: string) => Promise<boolean>
  recovery: AccountRecovery
  notices: SecurityNotices
  now: () => number
}

export const PASSWORD_CHANGED = 'Password changed.'
const PASSWORD_CHANGED_LOGGED_OUT =
  'Your password was changed, and every session was logged out meanwhile. Log in with the new password.'
const REVOKED = 'Session revoked. That browser is logged out.'
const ALREADY_ENDED = 'That session had already ended.'
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/

const endedCount = (count: number) =>
  count === 0 ? 'No other browser was logged in.' : `Logged out of ${count} other session${count === 1 ? '' : 's'}.`

/**
 * The signed-in user's account: GET /account/sessions, POST
 * /account/sessions/:id/revoke, POST /account/sessions/revoke-others,
 * GET/POST /account/password.
 */
export function accountRoutes({
  sessions,
  authenticator,
  users,
  hasher,
  credentialGate,
  devices,
  newPasswordCheck,
  audit,
  requireFreshProof,
  needsCode,
  recovery,
  notices,
  now,
}: AccountDeps) {
  const auditRevoked = (c: Context<AppEnv>, userId: string, sessionIds: string[], reason: string) => {
    for (const sessionId of sessionIds) {
      audit('session_revoked', { requestId: c.get('requestId'), ip: clientIpOf(c), sessionId, userId, reason })
    }
  }

  const listProps = (state: StoredSession & { csrfToken: string }, list: StoredSession[]) => ({
    sessions: list,
    currentId: state.id,
    csrfToken: state.csrfToken,
    now: now(),
  })

  function renderPassword(
    c: Context<AppEnv>,
    { state, user }: SignedIn,
    status: 200 | 401 | 422 | 429 | 503,
    props: Omit<PasswordFormProps, 'csrfToken' | 'email'> = {},
  ) {
    const { csrfToken } = state
    return renderForm(c, status, {
      form: () => <PasswordForm {...props} csrfToken={csrfToken} email={user.email} />,
      page: () => (
        <PasswordPage
          {...props}
          csrfToken={csrfToken}
          email={user.email}
          session={state}
          timeout={timeoutFor(state, now(), sessions)}
        />
      ),
    })
  }

  return (
    new Hono<AppEnv>()
      .get('/account/sessions', async (c) => {
        const signedIn = await requireUser(c)
        const list = listProps(signedIn.state, await sessions.list(signedIn.user.id, signedIn.state.id))
        if (isHtmx(c)) return c.html(<SessionList {...list} />)
        return c.html(
          <SessionsPage {...list} session={signedIn.state} timeout={timeoutFor(signedIn.state, now(), sessions)} />,
        )
      })
      // POST /account/sessions/revoke-others, as a parameter beside `:id/revoke` (see onlyParam).
      .post(
        '/account/sessions/:action',
        onlyParam('action', 'revoke-others'),
        requireFreshProof('/account/sessions'),
        async (c) => {
          const { state, user } = await requireUser(c)
          const session = c.get('session')
          const { ended } = (await session.endOthers(user.id)) ?? (await session.refuseEnded())
          // A link one of those browsers asked for would let it back in.
          await recovery.voidPendingLinks(user.id)
          auditRevoked(c, user.id, ended, 'revoke_others')
          if (isHtmx(c)) {
            return c.html(
              <>
                <SessionList {...listProps(state, [state])} />
                <Flash message={endedCount(ended.length)} oob />
              </>,
            )
          }
          await session.flash(endedCount(ended.length))
          return redirect(c, '/account/sessions')
        },
      )
      .post('/account/sessions/:id/revoke', requireFreshProof('/account/sessions'), async (c) => {
        const { state, user } = await requireUser(c)
        const session = c.get('session')
        const target = c.req.param('id')
        // A list drawn before this session's last confirmation names it by its previous ID.
        if (target === state.id || target === state.renewedFrom) {
          await session.restartWithNotice(LOGGED_OUT_NOTICE)
          auditRevoked(c, user.id, [state.id], 'revoked_own')
          // Ending this browser's own session is a logout, and clears what a logout clears.
          c.header('Clear-Site-Data', '"cache", "storage"')
          return redirect(c, '/')
        }
        // The account's pending reset and email change links go (the owner's
        // own too: which browser asked is not recorded): one that browser
        // asked for would let it back in. Before the revoke, so a retry after
        // a failure here still voids them; and after it, for a link that
        // browser was making in between (its request saw its session live).
        const wellFormed = SESSION_ID.test(target)
        if (wellFormed) await recovery.voidPendingLinks(user.id)
        const revoked = wellFormed && (await sessions.revoke(user.id, target))
        if (revoked) {
          await recovery.voidPendingLinks(user.id)
          auditRevoked(c, user.id, [target], 'revoked')
        }
        if (isHtmx(c)) {
          // The whole list comes back, so its count and rows match what is left.
          const list = listProps(state, await sessions.list(user.id, state.id))
          return c.html(
            <>
              <SessionList {...list} />
              <Flash message={revoked ? REVOKED : ALREADY_ENDED} oob />
            </>,
            revoked ? 200 : 404,
          )
        }
        if (!revoked) {
          throw new HTTPException(404, { message: 'You have no session with that ID. It may have ended already.' })
        }
        await session.flash(REVOKED)
        return redirect(c, '/account/sessions')
      })
      .get('/account/password', async (c) => renderPassword(c, await requireUser(c), 200))
      .post('/account/password', async (c) => {
        const signedIn = await requireUser(c)
        const { user } = signedIn
        const parsed = passwordChangeForm.safeParse(await readForm(c))
        if (!parsed.success) return renderPassword(c, signedIn, 422, { fieldErrors: fieldErrors(parsed.error) })

        const requestId = c.get('requestId')
        const ip = clientIpOf(c)
        const session = c.get('session')
        const { current_password, new_password } = parsed.data
        const signal = c.req.raw.signal
        // The current password first: only someone who knows it gets the new
        // one judged (strength, breaches) and hashed.
        let outcome:
          | Extract<Awaited<ReturnType<typeof authenticator.verifyPassword>>, { ok: false }>
          | { ok: true; problem: string; hash?: undefined }
          | { ok: true; problem: null; hash: string; checked: string }
        try {
          const knownDeviceId = devices.knownDeviceId(getCookie(c, DEVICE_COOKIE), user.email)
          outcome = await credentialGate.run(async () => {
            const check = await authenticator.verifyPassword(user.email, current_password, ip, {
              signal,
              knownDeviceId,
            })
            if (!check.ok) return check
            const problem = await newPasswordCheck(new_password, user.email)
            if (problem) return { ok: true as const, problem }
            const hash = await hasher.hash(new_password, { signal })
            return { ok: true as const, problem: null, hash, checked: check.user.passwordHash }
          }, gateOptions(c))
        } catch (error) {
          if (!(error instanceof OverloadedError || signal.aborted)) throw error
          c.header('Retry-After', String(error instanceof OverloadedError ? error.retryAfterSeconds : 2))
          return renderPassword(c, signedIn, 503, { error: 'The server is busy. Please try again in a moment.' })
        }
        if (!outcome.ok) {
          const reason = `password_change_${outcome.reason}`
          audit('login_failure', { requestId, ip, sessionId: session.id ?? undefined, userId: user.id, reason })
          if (outcome.reason === 'throttled') {
            const retryAfterSeconds = outcome.retryAfterSeconds ?? 60
            c.header('Retry-After', String(retryAfterSeconds))
            return renderPassword(c, signedIn, 429, { error: throttledMessage(retryAfterSeconds) })
          }
          return renderPassword(c, signedIn, 401, {
            fieldErrors: { current_password: 'Your current password is incorrect.' },
          })
        }
        if (outcome.problem !== null) {
          return renderPassword(c, signedIn, 422, { fieldErrors: { new_password: outcome.problem } })
        }

        const { hash, checked } = outcome
        // The current password proved the password only: with the app on, the
        // proof stays as old as it was, so this cannot stand in for "Confirm it's you".
        // Known before anything changes: if it cannot be known, nothing does.
        const keepProofAt = (await needsCode(user.id)) ? (signedIn.state.provedAt ?? 0) : undefined
        // Every other session ends before the new hash is written, so a failure
        // at any later step leaves none of them alive. After it, this browser
        // signs in afresh and ends what began in between: a login that read the
        // old hash while it was being replaced.
        // A session ended meanwhile (a reset, while the password was checked)
        // changes nothing: it can neither log the owner out nor set the password.
        const before = (await session.endOthers(user.id)) ?? (await session.refuseEnded())
        // A reset or email change link asked for before the change must not
        // undo it: voided before the hash is written, so no failure leaves one live.
        await recovery.voidPendingLinks(user.id)
        // Only over the hash the current password was checked against: a reset meanwhile wins.
        if (!(await users.replacePasswordHash(user.id, checked, hash))) return session.refuseEnded()
        const device = describeDevice(c.req.header('user-agent'))
        let current: Awaited<ReturnType<typeof session.signIn>> = null
        try {
          current = await session.signIn(user, {
            // Refused if the user's sessions were ended again after this request ended them.
            proof: { at: before.at },
            // The password was proved again just now; how this browser passed its
            // second step at sign-in still holds, and "Your sessions" keeps saying so.
            method: signedIn.state.method ?? 'password',
            device,
            ip,
            flash: PASSWORD_CHANGED,
            endOthers: true,
            keepProofAt,
          })
        } finally {
          // The password has changed whatever follows, a failure included: it is recorded and the owner told.
          const ended = [...before.ended, ...(current?.ended.filter((id) => id !== session.id) ?? [])]
          auditRevoked(c, user.id, ended, 'password_changed')
          audit('password_changed', { requestId, ip, sessionId: current?.id, userId: user.id })
          await notices.passwordChanged(user.email, { ip, device, at: now() })
        }
        if (current) return redirect(c, '/account/sessions')
        // Every session was ended again meanwhile ("log out everywhere else" in another tab, a reset).
        await session.restartWithNotice(PASSWORD_CHANGED_LOGGED_OUT)
        return redirect(c, '/login')
      })
  )
}
