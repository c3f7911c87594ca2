import { composeMail, type Mail } from '../mail/message.ts'

/** Where and when something happened, for the notice that tells the account's owner. */
export type NoticeContext = { ip: string; device: string; at: number }

const when = (at: number) => `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`

const where = ({ ip, device, at }: NoticeContext) => `When: ${when(at)}. Device: ${device}. IP address: ${ip}.`

/** The mails of account recovery, each built from APP_URL so every link is absolute. */
export class RecoveryMails {
  readonly #appUrl: string

  constructor(appUrl: string) {
    this.#appUrl = appUrl
  }

  passwordReset(to: string, token: string, minutes: number): Mail {
    return composeMail(to, 'Reset your Taproom password', [
      'Someone (we hope you) asked to reset the password of your Taproom account.',
      {
        text: `Choose a new password here. The link works once, for ${minutes} minutes:`,
        href: this.#link(`/password/reset/${token}`),
      },
      'If you did not ask for this, ignore this mail: your password stays as it is.',
    ])
  }

  verifyEmail(to: string, token: string): Mail {
    return composeMail(to, 'Finish signing up to Taproom', [
      'Welcome to Taproom! Confirm that this address is yours to finish signing up.',
      { text: 'Follow this link within 24 hours:', href: this.#link(`/verify-email/${token}`) },
      'If you did not sign up, ignore this mail: without the link, no account is used.',
    ])
  }

  signupAttempt(to: string): Mail {
    return composeMail(to, 'Someone tried to sign up with your address', [
      'Someone tried to sign up with your address. If it was you, log in or reset your password.',
      { text: 'Log in:', href: this.#link('/login') },
      { text: 'Reset your password:', href: this.#link('/password/forgot') },
      'If it was not you, you need do nothing: your account is unchanged.',
    ])
  }

  confirmEmailChange(to: string, token: string): Mail {
    return composeMail(to, 'Confirm your new Taproom email address', [
      'Someone (we hope you) asked to move a Taproom account to this address.',
      { text: 'Confirm within 24 hours:', href: this.#link(`/account/email/confirm/${token}`) },
      'If you did not ask for this, ignore this mail: nothing changes without the link.',
    ])
  }

  emailChangeRequested(to: string, newEmail: string, context: NoticeContext): Mail {
    return composeMail(to, 'Your Taproom email address is about to change', [
      `Someone asked to move your Taproom account to ${newEmail}. It changes once that address confirms it.`,
      where(context),
      ...this.#notYou(),
    ])
  }

  passwordChanged(to: string, context: NoticeContext): Mail {
    return composeMail(to, 'Your password was changed', [
      'The password of your Taproom account was changed, and every other session was logged out.',
      where(context),
      ...this.#notYou(),
    ])
  }

  emailChanged(to: string, newEmail: string, context: NoticeContext): Mail {
    return composeMail(to, 'Your Taproom email address was changed', [
      `Your Taproom account now uses ${newEmail}. Mail about it no longer comes to this address.`,
      where(context),
      'If this was not you, write to the site’s support at once: whoever changed it could also read your password reset mail.',
    ])
  }

  accountDeleted(to: string, context: NoticeContext): Mail {
    return composeMail(to, 'Your Taproom account was deleted', [
      'Your Taproom account was deleted, and every session of it was logged out.',
      where(context),
      'If this was not you, write to the site’s support at once.',
    ])
  }

  newDeviceSignIn(to: string, context: NoticeContext): Mail {
    return composeMail(to, 'New sign-in to your Taproom account', [
      'Your Taproom password was just used to sign in from a browser that had not signed in to your account before.',
      where(context),
      ...this.#notYou(),
    ])
  }

  /**
   * `change` completes "… of your Taproom account", e.g. "A passkey was added
   * to the sign-in"; `othersLoggedOut` false when the change came from a
   * session that had itself ended meanwhile, which logs no one out.
   */
  signInMethodChanged(to: string, change: string, context: NoticeContext, othersLoggedOut = true): Mail {
    return composeMail(to, 'How you sign in to Taproom changed', [
      othersLoggedOut
        ? `${change}. Every other session of your account was logged out.`
        : `${change}, from a session that had just been logged out.`,
      where(context),
      { text: 'See your authenticator app, recovery codes and passkeys:', href: this.#link('/account/security') },
      ...this.#notYou(),
    ])
  }

  #notYou() {
    return [
      {
        text: 'If this was you, nothing to do. If not, reset your password now:',
        href: this.#link('/password/forgot'),
      },
      { text: 'then check which browsers are signed in:', href: this.#link('/account/sessions') },
    ]
  }

  #link(path: string): string {
    return `${this.#appUrl}${path}`
  }
}
