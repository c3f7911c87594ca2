import { createHash } from 'node:crypto'
import type { AuditLog } from '../audit.ts'
import type { EmailHash } from '../auth/email-hash.ts'
import type { User } from '../db/schema.ts'
import { DuplicateEmailError, type UserRepository } from '../db/users.ts'
import { describeError, type Logger } from '../log.ts'
import type { MailQueue } from '../mail/queue.ts'
import type { Sealer } from '../mail/seal.ts'
import type { MailBudget } from './mail-budget.ts'
import type { NoticeContext, RecoveryMails } from './mails.ts'
import type { SecurityNotices } from './notices.ts'
import type { OneTimeTokens, TokenGrant, TokenPurpose } from './one-time-tokens.ts'

/** Who asked, for the audit line a queued task writes when it runs. */
export type Requester = { requestId: string; ip: string }

type ResetRequest = Requester & { email: string }
type SignupRequest = Requester & { email: string; passwordHash: string }

const VERIFY_SECONDS = 24 * 60 * 60
/*
 * A sign-up never verified holds its address and a password a stranger may
 * have chosen. Logging in to it re-sends the link, so it may be followed for
 * a while after the first one died; past this it goes, and the address is
 * free to sign up again.
 */
const UNVERIFIED_KEPT_MS = 7 * 24 * 60 * 60 * 1000
const PRUNE_EVERY_MS = 60 * 60 * 1000
const PRUNE_BATCH = 500
const PRUNE_MAX_BATCHES = 20
/* The sign-ups one browser session is remembered for (see rememberSignup). */
const SIGNUP_MARKS = 5
const EMAIL_CHANGE_SECONDS = 24 * 60 * 60
/** Links that would undo a credential change: a reset, or a move to an address someone else chose. */
const PENDING_LINKS: TokenPurpose[] = ['reset', 'email']

export type RecoveryDeps = {
  users: UserRepository
  tokens: OneTimeTokens
  queue: MailQueue
  mails: RecoveryMails
  notices: SecurityNotices
  budget: MailBudget
  audit: AuditLog
  emailHash: EmailHash
  passwordResetSeconds: number
  /** Seals a pending email change's new address: Redis holds no address in the clear. */
  addressSealer: Sealer
  logger: Logger
  now: () => number
}

export type EmailChangeOutcome =
  | { status: 'changed'; user: User; oldEmail: string }
  | { status: 'taken' }
  | { status: 'invalid' }

/**
 * Password reset, verified sign-up and email change. What a stranger can ask
 * about any address (a reset link, a sign-up) is only queued by the request
 * and decided by the queue's worker: the request does the same work and gives
 * the same answer whether or not the address has an account.
 */
export class AccountRecovery {
  readonly #deps: RecoveryDeps
  #lastPruneAt = Number.NEGATIVE_INFINITY

  constructor(deps: RecoveryDeps) {
    this.#deps = deps
    deps.queue.handle('password_reset_request', (payload) => this.#sendResetLink(payload as ResetRequest))
    deps.queue.handle('signup_request', (payload) => this.#signUp(payload as SignupRequest))
  }

  /** Queues "send a reset link to this address if it has an account". */
  requestPasswordReset(request: ResetRequest): Promise<void> {
    return this.#deps.queue.enqueue('password_reset_request', request)
  }

  /** Queues "create this account, or tell the address's owner someone tried". */
  requestSignup(request: SignupRequest): Promise<void> {
    return this.#deps.queue.enqueue('signup_request', request)
  }

  /**
   * Takes a live reset link out of the URL: its hash is kept for this browser
   * session. False when the link is unknown, used or expired.
   */
  async holdResetLink(sessionId: string, hash: string): Promise<boolean> {
    const { tokens, passwordResetSeconds } = this.#deps
    const grant = await tokens.peek('reset', hash)
    if (!grant || !(await this.#resetAccount(grant))) return false
    await tokens.hold('reset', sessionId, hash, passwordResetSeconds)
    return true
  }

  /** The account whose live reset link this session holds, or null. */
  async heldResetAccount(sessionId: string): Promise<{ user: User; hash: string } | null> {
    const hash = await this.#deps.tokens.held('reset', sessionId)
    const grant = hash && (await this.#deps.tokens.peek('reset', hash))
    const user = grant && (await this.#resetAccount(grant))
    return user && hash ? { user, hash } : null
  }

  /*
   * A reset link works only while the account has the address it was mailed
   * to: one a job made just as the email changed went to the old address.
   */
  async #resetAccount(grant: TokenGrant): Promise<User | null> {
    const user = await this.#deps.users.findById(grant.userId)
    return user && this.#deps.emailHash(user.email) === grant.data ? user : null
  }

  /** Forgets the reset link this session held. */
  releaseResetLink(sessionId: string): Promise<void> {
    return this.#deps.tokens.release('reset', sessionId)
  }

  /** Uses the reset token up: its account for exactly one caller, null when dead or used (also in parallel). */
  async redeemResetLink(hash: string): Promise<User | null> {
    const grant = await this.#deps.tokens.redeem('reset', hash)
    return grant && this.#resetAccount(grant)
  }

  /**
   * Stores the new password of a redeemed reset and voids any newer reset or
   * email change link.
   * Following the link proved the address, so an unverified account becomes
   * verified (which also undoes a stranger's sign-up with someone's address).
   * False when the account is gone (deleted, or a sign-up never verified
   * that was pruned) since the link was followed.
   */
  async setResetPassword(user: User, passwordHash: string): Promise<boolean> {
    const { users, tokens, now } = this.#deps
    // Voided first, so no failure after the new hash leaves an older link live.
    // A verification link still live says the address is unproven: it no longer is.
    await tokens.voidAll(user.id, [...PENDING_LINKS, 'verify'])
    return users.setPasswordProvingEmail(user.id, passwordHash, new Date(now()))
  }

  /**
   * Voids the user's pending reset and email change links, after a password
   * change, "log out everywhere else" or the account's deletion: whoever asked
   * for one before must not take the account back with it.
   */
  voidPendingLinks(userId: string): Promise<void> {
    return this.#deps.tokens.voidAll(userId, PENDING_LINKS)
  }

  /**
   * Marks this browser session as the one that asked to sign up this address
   * with this password (see verifyEmail). The password's hash is part of the
   * mark: an account someone else made earlier with the same address holds
   * their password, and this browser following its link must not sign in to,
   * and so verify, that one with the stranger's password kept. A browser that
   * signs up again (a new salt) keeps its earlier marks: its first sign-up
   * made the account.
   */
  rememberSignup(sessionId: string, email: string, passwordHash: string): Promise<void> {
    const mark = this.#signupMark(email, passwordHash)
    return this.#deps.tokens.holdAlso('verify', sessionId, mark, VERIFY_SECONDS, SIGNUP_MARKS)
  }

  /**
   * After the sign-in a link made (a new session ID), the browser still
   * counts as the one that signed up its other addresses.
   */
  carrySignupMarks(fromSessionId: string, toSessionId: string): Promise<void> {
    return this.#deps.tokens.moveHeld('verify', fromSessionId, toSessionId)
  }

  #signupMark(email: string, passwordHash: string): string {
    const password = createHash('sha256').update(passwordHash).digest('base64url').slice(0, 22)
    return `${this.#deps.emailHash(email)}.${password}`
  }

  /**
   * Uses a verification link up; null when dead or used. Only the browser
   * session that signed the address up is signed in: anyone can sign up with
   * someone else's address, so from any other browser the password chosen at
   * sign-up is replaced by `lockedPasswordHash` (of a secret nobody knows) in
   * the same write that verifies the address, and the owner sets their own
   * with a reset.
   */
  async verifyEmail(
    hash: string,
    sessionId: string | null,
    lockedPasswordHash: () => Promise<string>,
  ): Promise<{ user: User; signedUpHere: boolean } | null> {
    const { tokens, users, now } = this.#deps
    const grant = await tokens.redeem('verify', hash)
    const user = grant && (await users.findById(grant.userId))
    if (!user) return null
    const at = new Date(now())
    const signedUpHere = await this.#signedUpIn(sessionId, user)
    // (sessionId is never null when signedUpHere; the check only tells the type checker.)
    if (signedUpHere && sessionId !== null) {
      const mark = this.#signupMark(user.email, user.passwordHash)
      await Promise.all([users.markEmailVerified(user.id, at), tokens.forgetOne('verify', sessionId, mark)])
    } else {
      await users.markEmailVerifiedLockingPassword(user.id, at, await lockedPasswordHash())
    }
    return { user: { ...user, emailVerifiedAt: user.emailVerifiedAt ?? at }, signedUpHere }
  }

  /**
   * Whether a verification link is live, and whether this browser session is
   * the one that signed up, without using the link: a link opened anywhere
   * else waits for a click (a mail scanner fetches links too).
   */
  async verificationLink(hash: string, sessionId: string | null): Promise<{ signedUpHere: boolean } | null> {
    const grant = await this.#deps.tokens.peek('verify', hash)
    const user = grant && (await this.#deps.users.findById(grant.userId))
    return user ? { signedUpHere: await this.#signedUpIn(sessionId, user) } : null
  }

  async #signedUpIn(sessionId: string | null, user: User): Promise<boolean> {
    if (sessionId === null) return false
    return (await this.#deps.tokens.heldAll('verify', sessionId)).includes(
      this.#signupMark(user.email, user.passwordHash),
    )
  }

  /** A new verification link for an unverified account, at most 3 an hour. */
  async resendVerification(user: User, requester: Requester): Promise<void> {
    if (!(await this.#deps.budget.spend('verify', this.#deps.emailHash(user.email)))) return
    await this.#sendVerification(user, requester)
  }

  /**
   * Sends the confirmation link to the new address and a notice to the
   * current one, at most 3 an hour per account and per new address; past
   * either, nothing is sent and the caller answers as if it were.
   */
  async requestEmailChange(
    user: { id: string; email: string },
    newEmail: string,
    context: NoticeContext & Requester & { stillLive: () => Promise<boolean> },
  ): Promise<'sent' | 'session_ended'> {
    const { tokens, queue, mails, notices, audit, budget, emailHash } = this.#deps
    const fields = { requestId: context.requestId, ip: context.ip, userId: user.id }
    if (
      !(await budget.spend('email_change_account', user.id)) ||
      !(await budget.spend('email_change', emailHash(newEmail)))
    ) {
      audit('email_change_requested', { ...fields, reason: 'mail_limit' })
      return 'sent'
    }
    const token = await tokens.issue('email', user.id, EMAIL_CHANGE_SECONDS, this.#deps.addressSealer.seal(newEmail))
    // The asking session is looked at again once the link exists: a reset or
    // "log out everywhere else" that ended it, while this request was under
    // way, voided links before this one was made. Whichever came first, the
    // link dies: voided here, or by the ending that follows this check.
    if (!(await context.stillLive())) {
      await tokens.voidAll(user.id, ['email'])
      audit('email_change_requested', { ...fields, reason: 'session_ended' })
      return 'session_ended'
    }
    await queue.send(mails.confirmEmailChange(newEmail, token))
    await notices.emailChangeRequested(user.email, newEmail, context)
    audit('email_change_requested', fields)
    return 'sent'
  }

  /** Whose account a live email change link would move, without using it; null for a dead link. */
  async emailChangeLink(hash: string): Promise<{ userId: string } | null> {
    const grant = await this.#deps.tokens.peek('email', hash)
    return grant && { userId: grant.userId }
  }

  /** Uses an email change link up and moves the account to the new address. */
  async confirmEmailChange(hash: string): Promise<EmailChangeOutcome> {
    const { tokens, users, now } = this.#deps
    const grant = await tokens.redeem('email', hash)
    const user = grant && (await users.findById(grant.userId))
    if (!grant || !user) return { status: 'invalid' }
    const newEmail = this.#addressOf(grant.data)
    if (newEmail === null) return { status: 'invalid' }
    // A reset link that went to the old address must not take the account
    // back: voided first, so none can be used between the change and this.
    await tokens.voidAll(user.id, ['reset'])
    try {
      // An account deleted since it was read moves nowhere: the link is dead.
      if (!(await users.changeEmail(user.id, newEmail, new Date(now())))) return { status: 'invalid' }
    } catch (error) {
      if (error instanceof DuplicateEmailError) return { status: 'taken' }
      throw error
    }
    return { status: 'changed', user: { ...user, email: newEmail }, oldEmail: user.email }
  }

  /** A pending change's new address; null when no configured secret opens it (dropped in a rotation). */
  #addressOf(data: string): string | null {
    // A link made before addresses were sealed holds one in the clear: base64url has no '@'.
    if (data.includes('@')) return data
    try {
      return this.#deps.addressSealer.open<string>(data)
    } catch {
      return null
    }
  }

  async #sendResetLink({ email, requestId, ip }: ResetRequest): Promise<void> {
    const { users, tokens, queue, mails, budget, audit, passwordResetSeconds } = this.#deps
    const user = await users.findByEmail(email)
    const fields = { requestId, ip, emailHash: this.#deps.emailHash(email), userId: user?.id }
    if (!user) return audit('password_reset_requested', { ...fields, reason: 'unknown_email' })
    if (!(await budget.spend('reset', this.#deps.emailHash(email), requestId)))
      return audit('password_reset_requested', { ...fields, reason: 'mail_limit' })
    // The address it goes to, as its keyed hash: Redis holds no address.
    const token = await tokens.issue('reset', user.id, passwordResetSeconds, this.#deps.emailHash(user.email))
    await queue.send(mails.passwordReset(user.email, token, Math.round(passwordResetSeconds / 60)))
    audit('password_reset_requested', { ...fields, reason: 'mail_sent' })
  }

  async #signUp({ email, passwordHash, requestId, ip }: SignupRequest): Promise<void> {
    const { users, queue, mails, budget, audit } = this.#deps
    let user: User
    try {
      user = await users.create(email, passwordHash, { verifiedAt: null })
    } catch (error) {
      if (!(error instanceof DuplicateEmailError)) throw error
      // This job, retried after it made the account: the same salted hash can come from nowhere else.
      const made = await users.findByEmail(email)
      if (made && !made.emailVerifiedAt && made.passwordHash === passwordHash) {
        return this.#sendVerification(made, { requestId, ip })
      }
      audit('signup_failure', { requestId, ip, emailHash: this.#deps.emailHash(email), reason: 'registered_email' })
      if (await budget.spend('signup', this.#deps.emailHash(email), requestId))
        await queue.send(mails.signupAttempt(email))
      return
    }
    audit('signup', { requestId, ip, userId: user.id, emailHash: this.#deps.emailHash(email) })
    await this.#sendVerification(user, { requestId, ip })
    await this.#pruneUnverified()
  }

  /*
   * Sign-ups are what add unverified accounts, so they also take away those
   * past their time: at most once an hour per process, in small batches, by
   * whichever instance runs a sign-up. A failure is logged and tried again
   * an hour later; the sign-up itself is done.
   */
  async #pruneUnverified(): Promise<void> {
    const now = this.#deps.now()
    if (now - this.#lastPruneAt < PRUNE_EVERY_MS) return
    this.#lastPruneAt = now
    const before = new Date(now - UNVERIFIED_KEPT_MS)
    try {
      for (let batch = 0; batch < PRUNE_MAX_BATCHES; batch++) {
        if ((await this.#deps.users.pruneUnverified(before, PRUNE_BATCH)) < PRUNE_BATCH) return
      }
    } catch (error) {
      this.#deps.logger.warn({ type: 'unverified_prune_failed', ...describeError(error) }, 'unverified_prune_failed')
    }
  }

  async #sendVerification(user: User, { requestId, ip }: Requester): Promise<void> {
    const { tokens, queue, mails, audit } = this.#deps
    const token = await tokens.issue('verify', user.id, VERIFY_SECONDS)
    await queue.send(mails.verifyEmail(user.email, token))
    audit('verification_sent', { requestId, ip, userId: user.id })
  }
}
