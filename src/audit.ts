export type AuditEvent =
  | 'login_success'
  | 'login_failure'
  | 'logout'
  | 'session_revoked'
  | 'password_changed'
  | 'signup'
  | 'signup_failure'
  | 'reauthenticated'
  | 'account_deleted'

export type AuditFields = {
  requestId?: string
  ip?: string
  sessionId?: string
  userId?: string
  emailHash?: string
  /** A readable browser and OS ("Firefox on Linux"), for sign-ins. */
  device?: string
  reason?: string
  /** Why a backing service failed (e.g. MySQL's own message), so a misconfiguration shows in the log. */
  error?: string
}

export type AuditLog = (event: AuditEvent, fields: AuditFields) => void

/**
 * One JSON line per authentication event. Holds public session IDs and email
 * hashes only: never a token, a password or an address.
 */
export function createAuditLog(write: (line: string) => void = (line) => console.log(line)): AuditLog {
  return function audit(event, fields) {
    write(JSON.stringify({ time: new Date().toISOString(), type: 'audit', event, ...fields }))
  }
}
