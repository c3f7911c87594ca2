import type { TestApp } from './test-app.ts'

/**
 * The path of the first sign-up link on the /dev/mail page of any of these
 * running servers: whichever instance's worker sent the mail keeps it.
 */
export async function verificationLinkFrom(serverUrls: string[], timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    for (const url of serverUrls) {
      const page = await (await fetch(`${url}/dev/mail`)).text()
      const link = page.match(/href="https?:\/\/[^/"]+(\/verify-email\/[A-Za-z0-9_-]{43})"/)?.[1]
      if (link) return link
    }
    if (Date.now() > deadline) throw new Error(`no sign-up link on /dev/mail of ${serverUrls.join(', ')}`)
    await Bun.sleep(50)
  }
}

/**
 * Waits for the dev outbox of `t` (an app without SMTP_URL) to hold a mail to
 * `to` with a link whose path starts with `pathPrefix`, and returns that path.
 * Mail is sent by the queue's worker after the request that caused it, hence
 * the wait.
 */
export async function outboxLink(t: TestApp, to: string, pathPrefix: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    for (const mail of t.services.mail.outbox?.list() ?? []) {
      if (mail.to !== to.toLowerCase()) continue
      const link = mail.text.split(/\s+/).find((word) => word.startsWith(t.config.appUrl + pathPrefix))
      if (link) return link.slice(t.config.appUrl.length)
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${to} with a ${pathPrefix} link within ${timeoutMs} ms`)
    await Bun.sleep(20)
  }
}
