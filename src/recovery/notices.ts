import type { MailQueue } from '../mail/queue.ts'
import type { NoticeContext, RecoveryMails } from './mails.ts'

/**
 * Tells an account's owner, at the account's address, when something about
 * the account changed. Each call only queues the mail: it never delays or
 * fails the request that caused it beyond adding a job.
 */
export class SecurityNotices {
  readonly #queue: MailQueue
  readonly #mails: RecoveryMails

  constructor(queue: MailQueue, mails: RecoveryMails) {
    this.#queue = queue
    this.#mails = mails
  }

  /** After a password change or reset. */
  passwordChanged(email: string, context: NoticeContext): Promise<void> {
    return this.#queue.send(this.#mails.passwordChanged(email, context))
  }

  /** To the old address, once the new one is confirmed. */
  emailChanged(oldEmail: string, newEmail: string, context: NoticeContext): Promise<void> {
    return this.#queue.send(this.#mails.emailChanged(oldEmail, newEmail, context))
  }

  /** To the old address, when a change to `newEmail` was asked for. */
  emailChangeRequested(oldEmail: string, newEmail: string, context: NoticeContext): Promise<void> {
    return this.#queue.send(this.#mails.emailChangeRequested(oldEmail, newEmail, context))
  }

  /** To the deleted account's address (its sessions are already ended). */
  accountDeleted(email: string, context: NoticeContext): Promise<void> {
    return this.#queue.send(this.#mails.accountDeleted(email, context))
  }

  /** A second factor or passkey added or removed, or a recovery code used (`change` says which, as a sentence). */
  signInMethodChanged(email: string, change: string, context: NoticeContext): Promise<void> {
    return this.#queue.send(this.#mails.signInMethodChanged(email, change, context))
  }

  /** A sign-in from a browser that had not signed in to this account before. */
  newDeviceSignIn(email: string, context: NoticeContext): Promise<void> {
    return this.#queue.send(this.#mails.newDeviceSignIn(email, context))
  }
}
