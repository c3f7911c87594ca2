import { type Context, Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { AppEnv } from '../app-env.ts'
import type { AuditEvent, AuditLog } from '../audit.ts'
import { codeForm, passkeyRegisterForm, passkeyRenameForm } from '../auth/factor-forms.ts'
import { fieldErrors } from '../auth/forms.ts'
import type { PasskeyFailure, Passkeys } from '../auth/passkeys.ts'
import type { Enrolment, SecondFactors } from '../auth/second-factors.ts'
import { totpUri } from '../auth/totp.ts'
import { clientIpOf } from '../http/client-ip.ts'
import { readForm } from '../http/form.ts'
import { redirect } from '../http/htmx.ts'
import { onlyParam } from '../http/only-param.ts'
import { requireUser, type SignedIn } from '../http/require-user.ts'
import type { AccountRecovery } from '../recovery/account-recovery.ts'
import type { SecurityNotices } from '../recovery/notices.ts'
import type { Sessions } from '../session/sessions.ts'
import { RecoveryCodesPage } from '../views/pages/recovery-codes.tsx'
import { SecurityPage, type SecurityPageProps } from '../views/pages/security.tsx'
import { TotpSetupPage } from '../views/pages/totp-setup.tsx'
import { timeoutFor } from '../views/partials/session-timeout.tsx'
import { isFresh, type RequireFreshProof } from './fresh-proof.tsx'
import { methodChanged } from './method-changed.ts'

export type SecurityDeps = {
  sessions: Sessions
  secondFactors: SecondFactors
  passkeys: Passkeys
  notices: SecurityNotices
  recovery: Pick<AccountRecovery, 'voidPendingLinks'>
  audit: AuditLog
  requireFreshProof: RequireFreshProof
  reauthSeconds: number
  now: () => number
}

const SECURITY = '/account/security'
const TOTP_SETUP = '/account/security/totp'
const SETUP_EXPIRED =
  'That setup ran out of time: its key is used for 15 minutes only. Start again and scan the new code.'
const SETUP_RESTARTED =
  'The earlier setup ran out of time (its key is kept for 15 minutes), so this is a new key: scan this new code.'
const PASSKEY_ID = /^[0-9a-f-]{36}$/

const PASSKEY_ERRORS: Record<PasskeyFailure['reason'], string> = {
  expired: 'The passkey request expired. Try again.',
  invalid: 'The passkey could not be verified. Try again.',
  unknown: 'The passkey could not be verified. Try again.',
  counter: 'The passkey could not be verified. Try again.',
  duplicate: 'That passkey is registered already.',
}

/**
 * The signed-in user's second factors: GET /account/security, the
 * authenticator app (setup, confirm, turn off), recovery codes, and passkeys
 * (add, rename, remove). Every change needs a fresh proof, and every change
 * but a rename ends the user's other sessions, is audited and is mailed to
 * the account's address.
 */
export function securityRoutes(deps: SecurityDeps) {
  const { sessions, secondFactors, passkeys, audit, requireFreshProof, reauthSeconds, now } = deps

  async function renderSecurity(
    c: Context<AppEnv>,
    { state, user }: SignedIn,
    status: 200 | 400 | 403 | 422 | 429,
    error?: string,
    renameError?: SecurityPageProps['renameError'],
  ) {
    const status_ = await secondFactors.status(user.id, now())
    return c.html(
      <SecurityPage
        csrfToken={state.csrfToken}
        status={status_}
        session={state}
        now={now()}
        error={error}
        renameError={renameError}
        timeout={timeoutFor(state, now(), sessions)}
      />,
      status,
    )
  }

  const changed = methodChanged(deps)
  /* Adding or removing a way to sign in (see methodChanged). */
  const signInMethodChanged = (
    c: Context<AppEnv>,
    { user }: SignedIn,
    event: AuditEvent,
    sentence: string,
    undo?: () => Promise<unknown>,
  ) => changed(c, user, { event, sentence, undo, revokedBecause: 'second_factor_changed' })

  /** Back to the security page when there is no setup to show or confirm, saying so when it ran out of time. */
  async function setupEnded(c: Context<AppEnv>, why: Exclude<Enrolment['state'], 'live'> | 'not_enrolling') {
    if (why === 'expired') await c.get('session').flash(SETUP_EXPIRED)
    return redirect(c, SECURITY)
  }

  const othersLoggedOut = (count: number) =>
    count === 0 ? '' : ` ${count} other session${count === 1 ? ' was' : 's were'} logged out.`

  return (
    new Hono<AppEnv>()
      .get(SECURITY, async (c) => renderSecurity(c, await requireUser(c), 200))
      .post('/account/security/totp/setup', requireFreshProof(SECURITY), async (c) => {
        const { user } = await requireUser(c)
        // "Continue setting up" keeps the key an app may have just scanned: a new one would make its codes wrong.
        const before = (await secondFactors.enrolment(user.id, now())).state
        const started = before === 'live' || (await secondFactors.startEnrolment(user.id)) !== null
        if (!started) await c.get('session').flash('Your authenticator app is already on.')
        // "Continue setting up" pressed after the 15 minutes: an app that
        // scanned the old key would give codes for it, so the page says the key is new.
        else if (before === 'expired' && (await readForm(c)).continuing === '1') {
          await c.get('session').flash(SETUP_RESTARTED)
        }
        return redirect(c, started ? TOTP_SETUP : SECURITY)
      })
      .get(TOTP_SETUP, async (c) => {
        const { state, user } = await requireUser(c)
        // The page shows the secret itself, so it asks for the same fresh proof as the changes.
        if (!isFresh(state, reauthSeconds, now())) return redirect(c, `/account/confirm?next=${SECURITY}`)
        const enrolment = await secondFactors.enrolment(user.id, now())
        if (enrolment.state !== 'live') return setupEnded(c, enrolment.state)
        const { secret } = enrolment
        return c.html(
          <TotpSetupPage
            csrfToken={state.csrfToken}
            secret={secret}
            uri={totpUri(secret, user.email)}
            session={state}
            timeout={timeoutFor(state, now(), sessions)}
          />,
        )
      })
      .post('/account/security/totp/confirm', requireFreshProof(SECURITY), async (c) => {
        const signedIn = await requireUser(c)
        const { state, user } = signedIn
        const enrolment = await secondFactors.enrolment(user.id, now())
        if (enrolment.state !== 'live') return setupEnded(c, enrolment.state)
        const { secret } = enrolment
        const retry = (error?: string) =>
          c.html(
            <TotpSetupPage
              csrfToken={state.csrfToken}
              secret={secret}
              uri={totpUri(secret, user.email)}
              session={state}
              error={error}
              timeout={timeoutFor(state, now(), sessions)}
            />,
            422,
          )
        const parsed = codeForm.safeParse(await readForm(c))
        if (!parsed.success) return retry(fieldErrors(parsed.error).code)
        const result = await secondFactors.confirmEnrolment(user.id, parsed.data.code, now())
        if (!result.ok && result.reason !== 'wrong') return setupEnded(c, result.reason)
        if (!result.ok) return retry('That code is not right. Check the time on your phone and try again.')
        await signInMethodChanged(
          c,
          signedIn,
          'totp_enabled',
          'An authenticator app was turned on for the sign-in',
          () => secondFactors.withdrawApp(user.id),
        )
        return c.html(
          <RecoveryCodesPage
            csrfToken={state.csrfToken}
            codes={result.recoveryCodes}
            session={state}
            first
            timeout={timeoutFor(state, now(), sessions)}
          />,
        )
      })
      .post('/account/security/totp/disable', requireFreshProof(SECURITY), async (c) => {
        const signedIn = await requireUser(c)
        const parsed = codeForm.safeParse(await readForm(c))
        if (!parsed.success) return renderSecurity(c, signedIn, 422, fieldErrors(parsed.error).code)
        const check = await secondFactors.disable(signedIn.user.id, parsed.data.code, now())
        if (!check.ok && check.reason === 'locked') {
          c.header('Retry-After', String(check.retryAfterSeconds))
          return renderSecurity(
            c,
            signedIn,
            429,
            'Too many wrong codes. Try again later: the authenticator app is still on.',
          )
        }
        if (!check.ok && check.reason === 'app_locked') {
          return renderSecurity(
            c,
            signedIn,
            403,
            'Too many wrong codes for this account: turn the app off with a recovery code. The authenticator app is still on.',
          )
        }
        if (!check.ok) {
          const problem =
            check.reason === 'replayed'
              ? 'That code has just been used: wait for the next one in your app. The authenticator app is still on.'
              : 'That code is not right: the authenticator app is still on.'
          return renderSecurity(c, signedIn, 422, problem)
        }
        const ended = await signInMethodChanged(
          c,
          signedIn,
          'totp_disabled',
          'The authenticator app was turned off: signing in now needs only your password',
        )
        await c.get('session').flash(`Authenticator app turned off.${othersLoggedOut(ended)}`)
        return redirect(c, SECURITY)
      })
      .post('/account/security/recovery-codes', requireFreshProof(SECURITY), async (c) => {
        const signedIn = await requireUser(c)
        const { state, user } = signedIn
        if ((await secondFactors.status(user.id, now())).totp !== 'on') return redirect(c, SECURITY)
        // New codes void the owner's: a session a reset has ended makes none
        // (one ending in the moment between this read and the write still
        // replaces them, unseen: methodChanged refuses to show them).
        const session = c.get('session')
        if (!(await session.stillLive())) return session.refuseEnded()
        const codes = await secondFactors.regenerateRecoveryCodes(user.id)
        // New codes are a new way in: whoever made them may not be the owner.
        const ended = await signInMethodChanged(
          c,
          signedIn,
          'recovery_codes_regenerated',
          'New recovery codes were made for the sign-in: the earlier ones no longer work',
        )
        return c.html(
          <RecoveryCodesPage
            csrfToken={state.csrfToken}
            codes={codes}
            session={ended > 0 ? { ...state, flash: othersLoggedOut(ended).trim() } : state}
            first={false}
            timeout={timeoutFor(state, now(), sessions)}
          />,
        )
      })
      // POST /account/security/passkeys/options, as a parameter beside `:id/rename` (see onlyParam).
      .post('/account/security/passkeys/:action', onlyParam('action', 'options'), async (c) => {
        const { state, user } = await requireUser(c)
        // Called by script, so a stale proof is answered in JSON with where to confirm.
        if (!isFresh(state, reauthSeconds, now())) {
          return c.json(
            { error: 'Confirm it is you first.', redirect: `/account/confirm?next=${encodeURIComponent(SECURITY)}` },
            403,
          )
        }
        return c.json({ options: await passkeys.registrationOptions(state.id, user) })
      })
      .post('/account/security/passkeys', requireFreshProof(SECURITY), async (c) => {
        const signedIn = await requireUser(c)
        const parsed = passkeyRegisterForm.safeParse(await readForm(c))
        if (!parsed.success) {
          const errors = fieldErrors(parsed.error)
          return renderSecurity(c, signedIn, 422, errors.name ?? errors.response)
        }
        const result = await passkeys.register(
          signedIn.state.id,
          signedIn.user.id,
          parsed.data.name,
          parsed.data.response,
        )
        if (!result.ok) return renderSecurity(c, signedIn, 400, PASSKEY_ERRORS[result.reason])
        const ended = await signInMethodChanged(
          c,
          signedIn,
          'passkey_added',
          `A passkey named "${result.passkey.name}" was added to the sign-in`,
          () => secondFactors.removePasskey(signedIn.user.id, result.passkey.id),
        )
        await c.get('session').flash(`Passkey "${result.passkey.name}" added.${othersLoggedOut(ended)}`)
        return redirect(c, SECURITY)
      })
      .post('/account/security/passkeys/:id/rename', requireFreshProof(SECURITY), async (c) => {
        const signedIn = await requireUser(c)
        const id = passkeyIdOf(c)
        const parsed = passkeyRenameForm.safeParse(await readForm(c))
        if (!parsed.success) {
          const message = fieldErrors(parsed.error).name ?? 'Give the passkey a name.'
          return renderSecurity(c, signedIn, 422, undefined, { passkeyId: id, message })
        }
        if (!(await secondFactors.renamePasskey(signedIn.user.id, id, parsed.data.name))) throw notFound()
        audit('passkey_renamed', {
          requestId: c.get('requestId'),
          ip: clientIpOf(c),
          sessionId: signedIn.state.id,
          userId: signedIn.user.id,
        })
        await c.get('session').flash(`Passkey renamed to "${parsed.data.name}".`)
        return redirect(c, SECURITY)
      })
      .post('/account/security/passkeys/:id/remove', requireFreshProof(SECURITY), async (c) => {
        const signedIn = await requireUser(c)
        const removed = await secondFactors.removePasskey(signedIn.user.id, passkeyIdOf(c))
        if (!removed) throw notFound()
        const ended = await signInMethodChanged(
          c,
          signedIn,
          'passkey_removed',
          `The passkey named "${removed.name}" was removed: it no longer signs you in`,
        )
        await c.get('session').flash(`Passkey "${removed.name}" removed.${othersLoggedOut(ended)}`)
        return redirect(c, SECURITY)
      })
  )
}

function passkeyIdOf(c: Context<AppEnv>): string {
  const id = c.req.param('id') ?? ''
  if (!PASSKEY_ID.test(id)) throw notFound()
  return id
}

function notFound(): HTTPException {
  return new HTTPException(404, { message: 'You have no passkey with that ID. It may have been removed already.' })
}
