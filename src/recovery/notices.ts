import { describeError, type Logger } from '../log.ts'
import type { Mail } from '../mail/message.ts'
import type { MailQueue } from '../mail/queue.ts'
import type { NoticeContext, RecoveryMails } from './mails.ts'

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

  constructor(queue: MailQueue, mails: RecoveryMails, logger: Logger) {
    this.#queue = queue
    this.#mails = mails
    this.#logger = logger
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
  signInMethodChanged(email: string, change: string, context: NoticeContext): Promise<void> {
    return this.#send('signInMethodChanged', this.#mails.signInMethodChanged(email, change, context))
  }

  /** A sign-in from a browser that had not signed in to this account before. */
  newDeviceSignIn(email: string, context: NoticeContext): Promise<void> {
    return this.#send('newDeviceSignIn', this.#mails.newDeviceSignIn(email, context))
  }

  async #send(notice: string, mail: Mail): Promise<void> {
    try {
      await this.#queue.send(mail)
    } catch (error) {
      this.#logger.warn({ type: 'mail', notice, error: describeError(error) }, 'security notice not queued')
    }
  }
}
