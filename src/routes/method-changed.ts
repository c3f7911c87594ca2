import type { Context } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { AuditEvent, AuditLog } from '../audit.ts'
import { describeDevice } from '../auth/device.ts'
import { clientIpOf } from '../http/client-ip.ts'
import type { AccountRecovery } from '../recovery/account-recovery.ts'
import type { SecurityNotices } from '../recovery/notices.ts'

export type MethodChangedDeps = {
  recovery: Pick<AccountRecovery, 'voidPendingLinks'>
  notices: SecurityNotices
  audit: AuditLog
  now: () => number
}

export type MethodChange = {
  event: AuditEvent
  /** Completes "… Every other session of your account was logged out." in the owner's mail. */
  sentence: string
  /** Why the other sessions ended, as their audit lines say. */
  revokedBecause: string
  reason?: string
  /**
   * Takes a new way in back out, for when this request's session turns out to
   * have ended while it was added (a reset elsewhere): it must not outlive the
   * owner's remedy.
   */
  undo?: () => Promise<unknown>
}

/**
 * A way to sign in was added, removed or used up (a recovery code, which may
 * mean a lost phone): every other browser of the user is logged out (and the
 * links it may have asked for are voided), it is audited, and the owner is
 * told by mail. This request's session stays. Returns how many sessions ended.
 */
export function methodChanged({ recovery, notices, audit, now }: MethodChangedDeps) {
  return async (c: Context<AppEnv>, user: { id: string; email: string }, change: MethodChange): Promise<number> => {
    const requestId = c.get('requestId')
    const ip = clientIpOf(c)
    const session = c.get('session')
    const current = session.id
    const others = await session.endOthers(user.id)
    const device = describeDevice(c.req.header('user-agent'))
    const tell = async () => {
      audit(change.event, { requestId, ip, sessionId: current ?? undefined, userId: user.id, reason: change.reason })
      await notices.signInMethodChanged(user.email, change.sentence, { ip, device, at: now() }, others !== null)
    }
    if (!others) {
      // This session ended while the change was made (a reset elsewhere): it
      // ends no one's session and voids no link the owner has asked for since.
      // A new way in is taken back out; a way out (one removed, a code used)
      // stands, and the owner is told of it. If taking it back fails, the
      // owner is told it is there.
      if (change.undo) {
        await change.undo().catch(async (error: unknown) => {
          await tell()
          throw error
        })
      } else {
        await tell()
      }
      return session.refuseEnded()
    }
    await recovery.voidPendingLinks(user.id)
    for (const sessionId of others.ended)
      audit('session_revoked', { requestId, ip, sessionId, userId: user.id, reason: change.revokedBecause })
    await tell()
    return others.ended.length
  }
}

/** A recovery code was used up (`sentence` says for what): as methodChanged, since it may mean a lost phone. */
export function recoveryCodeUsed(deps: MethodChangedDeps) {
  const changed = methodChanged(deps)
  return (c: Context<AppEnv>, user: { id: string; email: string }, sentence: string) =>
    changed(c, user, { event: 'recovery_code_used', sentence, revokedBecause: 'recovery_code_used' })
}
