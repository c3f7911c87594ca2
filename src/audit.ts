import type { Logger } from './log.ts'

export type AuditEvent =
  | 'login_success'
  | 'login_failure'
  | 'logout'
  | 'session_revoked'
  | 'password_changed'
  | 'signup'
  | 'signup_failure'
  | 'password_reset_requested'
  | 'password_reset'
  | 'verification_sent'
  | 'email_verified'
  | 'email_change_requested'
  | 'email_changed'
  | 'security_notice'
  | 'reauthenticated'
  | 'second_factor_required'
  | 'totp_enabled'
  | 'totp_disabled'
  | 'recovery_codes_regenerated'
  | 'recovery_code_used'
  | 'passkey_added'
  | 'passkey_renamed'
  | 'passkey_removed'
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
  /** Why a backing service failed, in our words and its error codes (never a driver's message, which repeats the query). */
  error?: string
}

export type AuditLog = (event: AuditEvent, fields: AuditFields) => void

/**
 * One log line per authentication event (type "audit", msg and event its
 * name). Holds public session IDs and keyed email hashes only: never an email,
 * a token or a password.
 */
export function createAuditLog(logger: Logger): AuditLog {
  return function audit(event, fields) {
    logger.info({ type: 'audit', event, ...fields }, event)
  }
}
