import { type Context, Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import { fieldErrors, loginForm } from '../auth/forms.ts'
import type { UserRepository } from '../db/users.ts'
import { readForm } from '../http/form.ts'
import type { RequireFreshProof } from '../http/fresh-proof.tsx'
import { isHtmx, noStore, redirect, varyOnHtmx } from '../http/htmx.ts'
import { requireUser, type SignedIn } from '../http/require-user.ts'
import type { SessionStore } from '../session/store.ts'
import { revokeOtherSessions } from '../session/user-sessions.ts'
import { DeleteAccountForm, DeleteAccountPage } from '../views/pages/delete-account.tsx'

export type DeleteAccountDeps = {
  users: UserRepository
  store: SessionStore
  audit: AuditLog
  requireFreshProof: RequireFreshProof
  now: () => number
}

export const ACCOUNT_DELETED = 'Your account was deleted.'
const NOT_YOUR_EMAIL = "That is not this account's email address."

const deleteForm = z.object({ email: loginForm.shape.email })

/**
 * GET /account/delete explains; POST /account/delete (a fresh proof of the
 * password, and the account's email typed) ends every session of the user,
 * deletes the user and what is keyed to it, and lands this browser on the
 * home page, logged out, with a notice.
 */
export function deleteAccountRoutes({ users, store, audit, requireFreshProof, now }: DeleteAccountDeps) {
  function renderForm(c: Context<AppEnv>, { state, user }: SignedIn, status: 200 | 422, error?: string) {
    const csrfToken = c.get('session').csrfToken!
    noStore(c)
    varyOnHtmx(c)
    if (isHtmx(c) && c.req.method === 'POST') {
      return c.html(<DeleteAccountForm csrfToken={csrfToken} email={user.email} error={error} />, status)
    }
    return c.html(<DeleteAccountPage csrfToken={csrfToken} email={user.email} error={error} session={state} />, status)
  }

  return new Hono<AppEnv>()
    .get('/account/delete', async (c) => renderForm(c, await requireUser(c), 200))
    .post('/account/delete', requireFreshProof('/account/delete'), async (c) => {
      const signedIn = await requireUser(c)
      const { user } = signedIn
      const parsed = deleteForm.safeParse(await readForm(c))
      if (!parsed.success) return renderForm(c, signedIn, 422, fieldErrors(parsed.error).email)
      if (parsed.data.email !== user.email.toLowerCase()) return renderForm(c, signedIn, 422, NOT_YOUR_EMAIL)

      const session = c.get('session')
      const sessionId = session.id ?? undefined
      // Sessions end before the row goes: if Redis fails, nothing is deleted
      // and the user can try again; if MySQL then fails, they are logged out
      // but lose nothing.
      const ended = await revokeOtherSessions(store, user.id, sessionId ?? null, now())
      await users.delete(user.id)
      await session.restartWithNotice(ACCOUNT_DELETED)
      audit('account_deleted', {
        requestId: c.get('requestId'),
        ip: c.get('clientIp'),
        sessionId,
        userId: user.id,
        reason: `${ended.length + 1} sessions ended`,
      })
      return redirect(c, '/')
    })
}
