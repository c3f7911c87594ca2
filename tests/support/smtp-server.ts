import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export type ReceivedMail = { to: string; subject: string; text: string; html: string; raw: ParsedMail }

/**
 * A real SMTP server on a loopback port that keeps what it receives, parsed:
 * the app's mail goes through nodemailer and the network like it would in
 * production. `failNext(n)` answers the next n messages with a 451, to test
 * retries; `refuse(address)` refuses an address as a server does a mailbox
 * that does not exist.
 */
export async function startSmtpServer() {
  const received: ReceivedMail[] = []
  const waiters = new Set<() => void>()
  let failures = 0
  const refused = new Map<string, string>()
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const reply = refused.get(address.address.toLowerCase())
      if (reply === undefined) return callback()
      callback(Object.assign(new Error(reply.replace('<address>', `<${address.address}>`)), { responseCode: 550 }))
    },
    onData(stream, _session, callback) {
      if (failures > 0) {
        failures--
        stream.resume()
        stream.on('end', () => callback(Object.assign(new Error('try again later'), { responseCode: 451 })))
        return
      }
      simpleParser(stream)
        .then((parsed) => {
          const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to
          received.push({
            to: to?.value[0]?.address ?? '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            raw: parsed,
          })
          for (const wake of waiters) wake()
          callback()
        })
        .catch(callback)
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.server.address() as { port: number }).port

  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    failNext(count: number) {
      failures = count
    },
    /**
     * Answers 550 to RCPT TO for this address from now on, by default as a
     * server answers for a mailbox that does not exist, quoting the address.
     */
    refuse(address: string, reply = '5.1.1 <address>: Recipient address rejected') {
      refused.set(address.toLowerCase(), reply)
    },
    /** Mails to `address` so far. */
    to: (address: string) => received.filter((mail) => mail.to === address.toLowerCase()),
    /** Waits (at most `timeoutMs`) for a mail matching `match`. */
    async waitFor(match: (mail: ReceivedMail) => boolean, timeoutMs = 10_000): Promise<ReceivedMail> {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = received.find(match)
        if (found) return found
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`no matching mail within ${timeoutMs} ms (received ${received.length})`)
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer)
            waiters.delete(wake)
            resolve()
          }
          const timer = setTimeout(wake, left)
          waiters.add(wake)
        })
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export type SmtpTestServer = Awaited<ReturnType<typeof startSmtpServer>>

/** The first absolute link in a mail's text that starts with `prefix`. */
export function linkIn(mail: ReceivedMail, prefix: string): string {
  const link = mail.text.split(/\s+/).find((word) => word.startsWith(prefix))
  if (!link) throw new Error(`no link starting with ${prefix} in:\n${mail.text}`)
  return link
}
