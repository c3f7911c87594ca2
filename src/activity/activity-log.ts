import type { AuditEvent, AuditFields, AuditLog } from '../audit.ts'
import type { AuthEventRepository } from '../db/auth-events.ts'
import type { AuthEventRow } from '../db/schema.ts'
import { describeError, type Logger } from '../log.ts'
import { errorCodes } from '../unavailable.ts'

export type ActivityLogOptions = {
  events: AuthEventRepository
  /** Events older than this many days are pruned and never shown. */
  retentionDays: number
  /** Where an event goes when it cannot be saved. */
  logger: Logger
  now: () => number
}

export type ActivityEntry = Pick<AuthEventRow, 'type' | 'at' | 'ip' | 'device' | 'detail' | 'count'>

/** How many events the activity page shows. */
export const ACTIVITY_LIMIT = 50

/*
 * Audit events that are not security events of an account: leaving is not
 * news to the owner, a deleted account has no page to show anything on, a
 * and a mail sent is the echo of an event already listed.
 */
const NOT_ACTIVITY = new Set<string>([
  'logout',
  'signup_failure',
  'account_deleted',
  'verification_sent',
  'security_notice',
])
/* A login that failed because MySQL was down says nothing about the account. */
const NOT_AN_ATTEMPT = new Set(['unavailable', 'throttled'])

const PRUNE_EVERY_MS = 60 * 60 * 1000
const PRUNE_BATCH = 1000
const PRUNE_MAX_BATCHES = 10
/* Writes waiting on MySQL beyond this go to the log instead: a login storm cannot queue without bound. */
const MAX_PENDING = 256

/**
 * The security events users see on their activity page, kept in MySQL. It
 * listens to the audit log, so every flow that audits an event for a user
 * records it here too. Writing is fire-and-forget: a slow or lost database
 * never fails or delays the request; the event then goes to the log. Old
 * events are pruned in small batches at most once an hour, by whichever
 * instance writes next: no cron job.
 */
export class ActivityLog {
  readonly #options: ActivityLogOptions
  readonly #pending = new Set<Promise<void>>()
  #lastPruneAt = Number.NEGATIVE_INFINITY

  constructor(options: ActivityLogOptions) {
    this.#options = options
  }

  /** Wraps an audit log so each event it writes is also recorded here when it belongs to a user. */
  observe(audit: AuditLog): AuditLog {
    return (event, fields) => {
      audit(event, fields)
      this.record(event, fields)
    }
  }

  /** Records one audit event for its user, in the background. */
  record(event: AuditEvent, fields: AuditFields): void {
    const { userId } = fields
    if (!userId || NOT_ACTIVITY.has(event)) return
    if (event === 'login_failure' && NOT_AN_ATTEMPT.has(stripPrefix(fields.reason))) return
    if (this.#pending.size >= MAX_PENDING) {
      this.#unsaved(event, userId, 'backlog')
      return
    }
    const at = new Date(this.#options.now())
    const write = this.#options.events
      .record({
        userId,
        type: event,
        at,
        ip: fields.ip,
        device: fields.device,
        detail: fields.reason,
        groupKey: groupKeyOf(event, fields, at),
      })
      .catch((error: unknown) => this.#unsaved(event, userId, errorCodes(error).join(', ') || 'unknown'))
    this.#track(write)
    this.#maybePrune(at.getTime())
  }

  /** Resolves once every event recorded so far is written (or logged). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending)
  }

  /** The user's latest events, newest first; waits for this instance's pending writes so a page shows its own. */
  async recent(userId: string): Promise<ActivityEntry[]> {
    // Only what is pending now: under steady sign-ins waiting until nothing is would never end.
    await Promise.all([...this.#pending])
    const since = new Date(this.#options.now() - this.#options.retentionDays * 86_400_000)
    return this.#options.events.recent(userId, since, ACTIVITY_LIMIT)
  }

  #track(write: Promise<void>): void {
    this.#pending.add(write)
    write.finally(() => this.#pending.delete(write))
  }

  #maybePrune(now: number): void {
    if (now - this.#lastPruneAt < PRUNE_EVERY_MS) return
    this.#lastPruneAt = now
    const before = new Date(now - this.#options.retentionDays * 86_400_000)
    const prune = async () => {
      for (let batch = 0; batch < PRUNE_MAX_BATCHES; batch++) {
        if ((await this.#options.events.prune(before, PRUNE_BATCH)) < PRUNE_BATCH) return
      }
    }
    this.#track(
      prune().catch((error: unknown) =>
        this.#options.logger.warn({ type: 'activity_prune_failed', ...describeError(error) }, 'activity_prune_failed'),
      ),
    )
  }

  #unsaved(event: string, userId: string, error: string): void {
    this.#options.logger.warn({ type: 'activity_unsaved', event, userId, error }, 'activity_unsaved')
  }
}

/* "password_change_wrong_password" → "wrong_password": the reason without the flow it came from. */
function stripPrefix(reason: string | undefined): string {
  return reason?.replace(/^.*_(?=unavailable$|throttled$)/, '') ?? ''
}

/**
 * Failed sign-ins share one row per UTC day and client IP; the sessions one
 * request ends (log out everywhere else, a password change) share one row.
 */
function groupKeyOf(event: AuditEvent, fields: AuditFields, at: Date): string | undefined {
  if (event === 'login_failure') return `failed:${at.toISOString().slice(0, 10)}:${fields.ip ?? ''}`
  if (event === 'session_revoked' && fields.requestId) return `revoked:${fields.requestId}`
  return undefined
}
