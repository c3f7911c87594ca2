import type { Transporter } from 'nodemailer'
import type { DevOutbox } from './dev-outbox.ts'
import type { Mail } from './message.ts'

/** Delivers one mail, or throws (the queue then retries it). */
export type MailTransport = {
  send(mail: Mail): Promise<void>
  close(): void
}

const SMTP_TIMEOUT_MS = 10_000

/**
 * Whether an `smtp://` connection must upgrade with STARTTLS or fail: in
 * production, to any host but this machine. Otherwise nodemailer upgrades
 * only when the server offers it, and anyone on the path who strips the
 * offer reads every reset and sign-up link. `?requireTLS=false` in SMTP_URL
 * opts out (a relay on a private network that has no TLS).
 */
export function mustUpgradeToTls(url: string, nodeEnv: string): boolean {
  if (nodeEnv !== 'production') return false
  const { protocol, hostname } = new URL(url)
  if (protocol !== 'smtp:') return false
  return !/^(?:localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/i.test(hostname)
}

/**
 * Sends over SMTP with nodemailer; `smtps://` connects with TLS, `smtp://`
 * upgrades with STARTTLS (required when `requireTls`, else when offered).
 */
export function smtpTransport(url: string, from: string, { requireTls = false } = {}): MailTransport {
  // nodemailer is loaded with the first mail: it costs megabytes of memory at rest, and most processes send little mail.
  let transporter: Promise<Transporter> | undefined
  const connect = () =>
    import('nodemailer').then(({ createTransport }) =>
      createTransport({
        url,
        // SMTP_URL's own ?requireTLS= wins over this: nodemailer lays the URL's options over these.
        requireTLS: requireTls,
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
