import { describeError, type Logger } from '../log.ts'
import type { Mail } from '../mail/message.ts'
import type { MailQueue } from '../mail/queue.ts'
import type { MailBudget } from './mail-budget.ts'
import type { NoticeContext, RecoveryMails } from './mails.ts'

/** Limits a kind of notice per address: `budget` counts under `addressKey` (a pseudonym, never the address). */
export type NoticeBudget = { budget: MailBudget; addressKey: (email: string) => string }

/**
 * Tells an account's owner, at the account's address, when something about
 * the account changed. Each call only queues the mail, and never fails: the
 * change it reports has already happened, so a queue that cannot take the
 * mail (Redis down) is logged, without the address, rather than turned into
 * an error page for a change that went through.
 */
export class SecurityNotices {
  readonly #queue: MailQueue
  readonly #mails: RecoveryMails
  readonly #logger: Logger
  readonly #budget: NoticeBudget

  constructor(queue: MailQueue, mails: RecoveryMails, logger: Logger, budget: NoticeBudget) {
    this.#queue = queue
    this.#mails = mails
    this.#logger = logger
    this.#budget = budget
  }

  /** After a password change or reset. */
  passwordChanged(email: string, context: NoticeContext): Promise<void> {
    return this.#send('passwordChanged', this.#mails.passwordChanged(email, context))
  }

  /** To the old address, once the new one is confirmed. */
  emailChanged(oldEmail: string, newEmail: string, context: NoticeContext): Promise<void> {
    return this.#send('emailChanged', this.#mails.emailChanged(oldEmail, newEmail, context))
  }

  /** To the old address, when a change to `newEmail` was asked for. */
  emailChangeRequested(oldEmail: string, newEmail: string, context: NoticeContext): Promise<void> {
    return this.#send('emailChangeRequested', this.#mails.emailChangeRequested(oldEmail, newEmail, context))
  }

  /** To the deleted account's address (its sessions are already ended). */
  accountDeleted(email: string, context: NoticeContext): Promise<void> {
    return this.#send('accountDeleted', this.#mails.accountDeleted(email, context))
  }

  /** A second factor or passkey added or removed, or a recovery code used (`change` says which, as a sentence). */
  signInMethodChanged(email: string, change: string, context: NoticeContext, othersLoggedOut = true): Promise<void> {
    return this.#send('signInMethodChanged', this.#mails.signInMethodChanged(email, change, context, othersLoggedOut))
  }

  /** A sign-in from a browser that had not signed in to this account before. */
  newDeviceSignIn(email: string, context: NoticeContext): Promise<void> {
    // Budgeted: whoever has the password but not the second factor could
    // otherwise mail the owner at every try, from a fresh browser each time.
    // The first few tell the owner all there is to know.
    return this.#send('newDeviceSignIn', this.#mails.newDeviceSignIn(email, context), email)
  }

  async #send(notice: string, mail: Mail, budgeted?: string): Promise<void> {
    try {
      const { budget, addressKey } = this.#budget
      if (budgeted !== undefined && !(await budget.spend(notice, addressKey(budgeted)))) return
      await this.#queue.send(mail)
    } catch (error) {
      this.#logger.warn({ type: 'mail', notice, error: describeError(error) }, 'security notice not queued')
    }
  }
}
