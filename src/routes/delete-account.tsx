import { type Context, Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import { describeDevice } from '../auth/device.ts'
import { fieldErrors, loginForm } from '../auth/forms.ts'
import type { UserRepository } from '../db/users.ts'
import { clientIpOf } from '../http/client-ip.ts'
import { readForm } from '../http/form.ts'
import { redirect, renderForm } from '../http/htmx.ts'
import { requireUser, type SignedIn } from '../http/require-user.ts'
import { describeError, type Logger } from '../log.ts'
import type { AccountRecovery } from '../recovery/account-recovery.ts'
import type { SecurityNotices } from '../recovery/notices.ts'
import type { Sessions } from '../session/sessions.ts'
import { DeleteAccountForm, DeleteAccountPage } from '../views/pages/delete-account.tsx'
import { type SessionLifetimes, timeoutFor } from '../views/partials/session-timeout.tsx'
import type { RequireFreshProof } from './fresh-proof.tsx'

export type DeleteAccountDeps = {
  users: UserRepository
  sessions: Sessions
  audit: AuditLog
  requireFreshProof: RequireFreshProof
  notices: SecurityNotices
  recovery: AccountRecovery
  logger: Logger
  lifetimes: SessionLifetimes
  now: () => number
}

export const ACCOUNT_DELETED = 'Your account was deleted.'
const NOT_YOUR_EMAIL = "That is not this account's email address."

const deleteForm = z.object({ email: loginForm.shape.email })

/**
 * GET /account/delete explains; POST /account/delete (a fresh proof of the
 * password, and the account's email typed) ends every session of the user,
 * voids their pending reset and email change links, deletes the user and
 * what is keyed to it, and lands this browser on the home page, logged out,
 * with a notice.
 */
export function deleteAccountRoutes({
  users,
  sessions,
  audit,
  requireFreshProof,
  notices,
  recovery,
  logger,
  lifetimes,
  now,
}: DeleteAccountDeps) {
  function renderDeleteForm(c: Context<AppEnv>, { state, user }: SignedIn, status: 200 | 422, error?: string) {
    const props = { csrfToken: c.get('session').csrfToken!, email: user.email, error }
    return renderForm(c, status, {
      form: () => <DeleteAccountForm {...props} />,
      page: () => <DeleteAccountPage {...props} session={state} timeout={timeoutFor(state, now(), lifetimes)} />,
    })
  }

  return new Hono<AppEnv>()
    .get('/account/delete', async (c) => renderDeleteForm(c, await requireUser(c), 200))
    .post('/account/delete', requireFreshProof('/account/delete'), async (c) => {
      const signedIn = await requireUser(c)
      const { user } = signedIn
      const parsed = deleteForm.safeParse(await readForm(c))
      if (!parsed.success) return renderDeleteForm(c, signedIn, 422, fieldErrors(parsed.error).email)
      if (parsed.data.email !== user.email.toLowerCase()) return renderDeleteForm(c, signedIn, 422, NOT_YOUR_EMAIL)

      const session = c.get('session')
      const sessionId = session.id ?? undefined
      // Sessions end before the row goes: if Redis fails, nothing is deleted
      // and the user can try again; if MySQL then fails, they are logged out
      // but lose nothing. Ending them moves the user's "sessions valid since"
      // time, so a login whose password check began before it cannot finish;
      // the second end catches one that began in the moment before the row
      // went. The first runs only while this session is live: one ended by a
      // reset while this request was under way must not delete the account.
      const { ended } = (await session.endEverySession(user.id)) ?? (await session.refuseEnded())
      await recovery.voidPendingLinks(user.id)
      await users.delete(user.id)
      ended.push(...(await sessions.endAll(user.id)))
      await session.restartWithNotice(ACCOUNT_DELETED)
      const ip = clientIpOf(c)
      audit('account_deleted', {
        requestId: c.get('requestId'),
        ip,
        sessionId,
        userId: user.id,
        reason: `${ended.length} sessions ended`,
      })
      // The account is gone whatever the mail queue says: a failure to queue the notice is logged, not shown.
      const device = describeDevice(c.req.header('user-agent'))
      await notices.accountDeleted(user.email, { ip, device, at: now() }).catch((error: unknown) => {
        logger.warn({ type: 'notice_unsent', notice: 'account_deleted', ...describeError(error) }, 'notice_unsent')
      })
      // As at logout: the browser drops what it kept of the account's pages.
      c.header('Clear-Site-Data', '"cache", "storage"')
      return redirect(c, '/')
    })
}
