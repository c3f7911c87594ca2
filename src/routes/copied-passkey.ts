import type { Context } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { AuditLog } from '../audit.ts'
import { describeDevice } from '../auth/device.ts'
import type { SecondFactors } from '../auth/second-factors.ts'
import type { Passkey } from '../db/schema.ts'
import type { UserRepository } from '../db/users.ts'
import { clientIpOf } from '../http/client-ip.ts'
import type { AccountRecovery } from '../recovery/account-recovery.ts'
import type { SecurityNotices } from '../recovery/notices.ts'
import type { Sessions } from '../session/sessions.ts'

export type CopiedPasskeyDeps = {
  users: Pick<UserRepository, 'findById'>
  secondFactors: Pick<SecondFactors, 'removePasskey'>
  sessions: Pick<Sessions, 'endAll'>
  recovery: Pick<AccountRecovery, 'voidPendingLinks'>
  notices: SecurityNotices
  audit: AuditLog
  now: () => number
}

/*
 * Two authenticators answer for one passkey: it was copied, and which copy
 * is the owner's cannot be told. It is removed, so neither signs in again,
 * every session of the user ends (one may be the copy's), and the owner is
 * told by mail; their password still works.
 */
export function copiedPasskey({ users, secondFactors, sessions, recovery, notices, audit, now }: CopiedPasskeyDeps) {
  return async (c: Context<AppEnv>, passkey: Passkey, usedTo: 'sign in' | 'confirm it was you'): Promise<void> => {
    const requestId = c.get('requestId')
    const ip = clientIpOf(c)
    const user = await users.findById(passkey.userId)
    if (!user || !(await secondFactors.removePasskey(user.id, passkey.id))) return
    const ended = await sessions.endAll(user.id)
    await recovery.voidPendingLinks(user.id)
    audit('passkey_removed', { requestId, ip, userId: user.id, reason: 'passkey_counter' })
    for (const sessionId of ended)
      audit('session_revoked', { requestId, ip, sessionId, userId: user.id, reason: 'passkey_counter' })
    await notices.signInMethodChanged(
      user.email,
      `Your passkey "${passkey.name}" was removed: a copy of it was used to ${usedTo}, so it can no longer be trusted`,
      { ip, device: describeDevice(c.req.header('user-agent')), at: now() },
    )
  }
}
