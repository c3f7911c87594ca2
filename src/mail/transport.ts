import type { Transporter } from 'nodemailer'
import type { DevOutbox } from './dev-outbox.ts'
import type { Mail } from './message.ts'

/** Delivers one mail, or throws (the queue then retries it). */
export type MailTransport = {
  send(mail: Mail): Promise<void>
  close(): void
}

const SMTP_TIMEOUT_MS = 10_000

/** Sends over SMTP with nodemailer; `smtps://` connects with TLS, `smtp://` upgrades with STARTTLS when offered. */
export function smtpTransport(url: string, from: string): MailTransport {
  // nodemailer is loaded with the first mail: it costs megabytes of memory at rest, and most processes send little mail.
  let transporter: Promise<Transporter> | undefined
  const connect = () =>
    import('nodemailer').then(({ createTransport }) =>
      createTransport({
        url,
        connectionTimeout: SMTP_TIMEOUT_MS,
        greetingTimeout: SMTP_TIMEOUT_MS,
        socketTimeout: SMTP_TIMEOUT_MS,
        // The queue already retries; nodemailer would otherwise log every send.
        logger: false,
        debug: false,
      }),
    )
  return {
    async send(mail) {
      transporter ??= connect()
      await (await transporter).sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html })
    },
    close() {
      void transporter?.then((loaded) => loaded.close())
    },
  }
}

/** Keeps mail in the dev outbox and logs one line per mail: its subject, never the address or the body (it holds tokens). */
export function outboxTransport(outbox: DevOutbox, log: (line: string) => void, now: () => number): MailTransport {
  return {
    async send(mail) {
      outbox.add(mail, now())
      log(`mail "${mail.subject}" kept in the dev outbox (open /dev/mail to read it)`)
    },
    close() {},
  }
}
