import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { parseEnv } from '../src/env.ts'
import { createLogger } from '../src/log.ts'
import { createMail } from '../src/mail/create-mail.ts'
import { composeMail } from '../src/mail/message.ts'
import { cappedBackoff, RETRY_ATTEMPTS } from '../src/mail/queue.ts'
import { Sealer } from '../src/mail/seal.ts'
import { mustUpgradeToTls, smtpTransport } from '../src/mail/transport.ts'
import { type SmtpTestServer, startSmtpServer } from './support/smtp-server.ts'
import {
  createTestApp,
  dropIsolation,
  isolation,
  redisEnv,
  scanKeys,
  TEST_SECRET,
  type TestApp,
} from './support/test-app.ts'
import { waitUntil } from './support/wait-until.ts'

let smtp: SmtpTestServer
beforeAll(async () => {
  smtp = await startSmtpServer()
})
afterAll(() => smtp.close())

const SECRET_LINK = 'http://localhost:3000/password/reset/SECRET-TOKEN-VALUE-0123456789abcdefghijk'

const sample = (to: string) =>
  composeMail(to, 'Hello from the queue', ['A paragraph.', { text: 'Follow it:', href: SECRET_LINK }])

/** The mail component of an instance on `prefix` that sends to the test SMTP server, as the app wires it. */
function mailQueueOn(prefix: string, options: Partial<Parameters<typeof createMail>[1]> = {}) {
  const env = { ...redisEnv(), NODE_ENV: 'test', SESSION_SECRET: TEST_SECRET, REDIS_PREFIX: prefix, SMTP_URL: smtp.url }
  return createMail(parseEnv(env), { logger: createLogger({ level: 'silent' }), now: Date.now, ...options })
}

describe('mail over SMTP from the queue', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp('mailsmtp', { SMTP_URL: smtp.url, MAIL_FROM: 'Taproom <mail@taproom.test>' })
  })
  afterAll(() => t.cleanup())

  test('a queued mail arrives with text and HTML parts, from MAIL_FROM, its link absolute', async () => {
    await t.services.mail.queue.send(sample('one@example.com'))
    const mail = await smtp.waitFor((m) => m.to === 'one@example.com')
    expect(mail.subject).toBe('Hello from the queue')
    expect(mail.raw.from?.value[0]?.address).toBe('mail@taproom.test')
    expect(mail.text).toContain(SECRET_LINK)
    expect(mail.html).toContain(`<a href="${SECRET_LINK}">`)
    expect(mail.html).not.toMatch(/<img|<script|https?:\/\/(?!localhost:3000)/)
  })

  test('Redis holds the queued job sealed: no address, no link, under the hash-tagged prefix', async () => {
    await t.services.mail.queue.send(sample('sealed@example.com'))
    const keys = await scanKeys(t.redis, `${t.config.redis.prefix}*`)
    const queueKeys = keys.filter((key) => key.includes('{mail}'))
    expect(queueKeys.length).toBeGreaterThan(0)
    for (const key of queueKeys) expect(key.startsWith(`${t.config.redis.prefix}{mail}:`)).toBe(true)
    const dump = JSON.stringify(
      await Promise.all(
        queueKeys.map(async (key) => {
          const type = await t.redis.type(key)
          if (type === 'hash') return t.redis.hgetall(key)
          if (type === 'string') return t.redis.get(key)
          return type
        }),
      ),
    )
    expect(dump).not.toContain('SECRET-TOKEN')
    expect(dump).not.toContain('sealed@example.com')
    await smtp.waitFor((m) => m.to === 'sealed@example.com')
  })

  test('a failing SMTP server is retried with backoff until it accepts', async () => {
    smtp.failNext(2)
    await t.services.mail.queue.send(sample('retry@example.com'))
    const mail = await smtp.waitFor((m) => m.to === 'retry@example.com')
    expect(mail.text).toContain('A paragraph.')
    expect(t.logs.filter((line) => line.includes('"mail_retry"'))).toHaveLength(2)
  })

  test('a mail that keeps failing is logged once as failed, without its address or token', async () => {
    smtp.failNext(3)
    await t.services.mail.queue.send(sample('doomed@example.com'))
    await waitUntil(() => t.logs.some((line) => line.includes('"mail_failed"')))
    const failed = t.logs.filter((line) => line.includes('"mail_failed"'))
    expect(failed).toHaveLength(1)
    expect(JSON.parse(failed[0]!)).toMatchObject({ level: 'warn', event: 'mail_failed', task: 'deliver', attempts: 3 })
    for (const line of t.logs) {
      expect(line).not.toContain('SECRET-TOKEN')
      expect(line).not.toContain('doomed@example.com')
    }
    expect(smtp.to('doomed@example.com')).toHaveLength(0)
  })

  test('an address the server refuses fails at once, and Redis keeps no trace of the address', async () => {
    smtp.refuse('nobody@example.com')
    await t.services.mail.queue.send(sample('nobody@example.com'))
    await waitUntil(() => t.logs.some((line) => line.includes('"mail_failed"') && line.includes('550')))
    const failed = t.logs.filter((line) => line.includes('"mail_failed"') && line.includes('550'))
    expect(failed).toHaveLength(1)
    expect(JSON.parse(failed[0]!)).toMatchObject({ event: 'mail_failed', attempts: 1, error: 'Error EENVELOPE 550' })
    // The failed job stays in Redis for a week, with the reason it failed.
    const stored: unknown[] = []
    for (const key of await scanKeys(t.redis, `${t.config.redis.prefix}*`)) {
      const type = await t.redis.type(key)
      if (type === 'hash') stored.push(await t.redis.hgetall(key))
      else if (type === 'string') stored.push(await t.redis.get(key))
      else if (type === 'list') stored.push(await t.redis.lrange(key, 0, -1))
      else if (type === 'zset') stored.push(await t.redis.zrange(key, '0', '-1'))
      else if (type === 'stream') stored.push(await t.redis.xrange(key, '-', '+'))
    }
    const text = JSON.stringify(stored)
    expect(text).toContain('EENVELOPE 550')
    expect(text).not.toContain('nobody@example.com')
  })

  test('any other refusal (relaying denied) is a misconfiguration, retried like a failing server', async () => {
    smtp.refuse('relayed@example.com', '5.7.1 <address>: Relaying denied')
    const before = t.logs.length
    await t.services.mail.queue.send(sample('relayed@example.com'))
    await waitUntil(() => t.logs.slice(before).some((line) => line.includes('"mail_failed"')))
    const lines = t.logs.slice(before).filter((line) => line.includes('EENVELOPE 550'))
    expect(lines.filter((line) => line.includes('"mail_retry"'))).toHaveLength(2)
    expect(JSON.parse(lines.find((line) => line.includes('"mail_failed"'))!)).toMatchObject({ attempts: 3 })
  })
})

describe('durability', () => {
  test('a mail queued by an instance that stopped before sending it is sent by another instance', async () => {
    const shared = isolation('maildurable')
    // An instance that queues and then goes away without ever running its worker.
    const gone = mailQueueOn(shared.prefix)
    await gone.queue.send(sample('durable@example.com'))
    await gone.close()
    expect(smtp.to('durable@example.com')).toHaveLength(0)

    const other = await createTestApp('maildurable', { SMTP_URL: smtp.url, REDIS_PREFIX: shared.prefix })
    try {
      const mail = await smtp.waitFor((m) => m.to === 'durable@example.com')
      expect(mail.text).toContain(SECRET_LINK)
    } finally {
      await other.cleanup()
    }
  })

  test('an instance idle since startup sends a mail another instance queued and left behind', async () => {
    const shared = isolation('mailwatch')
    const idle = await createTestApp(
      'mailwatch',
      { SMTP_URL: smtp.url, REDIS_PREFIX: shared.prefix },
      { mailWatchEveryMs: 100 },
    )
    try {
      // Nothing was queued at its startup, so its worker has not started.
      expect(idle.services.mail.queue.working).toBe(false)
      const gone = mailQueueOn(shared.prefix)
      await gone.queue.send(sample('watched@example.com'))
      await gone.close()
      const mail = await smtp.waitFor((m) => m.to === 'watched@example.com')
      expect(mail.text).toContain(SECRET_LINK)
      expect(idle.services.mail.queue.working).toBe(true)
    } finally {
      await idle.cleanup()
    }
  })

  test('a retry left waiting by an instance that stopped is sent by an instance started afterwards', async () => {
    const shared = isolation('maildelayed')
    const lines: string[] = []
    // Its first attempt fails, and it stops while the retry waits out its backoff.
    const gone = mailQueueOn(shared.prefix, {
      logger: createLogger({ write: (line) => lines.push(line) }),
      attempts: 3,
      backoffMs: 1500,
    })
    gone.start()
    smtp.failNext(1)
    await gone.queue.send(sample('delayed@example.com'))
    await waitUntil(() => lines.some((line) => line.includes('"mail_retry"')))
    await gone.close()
    expect(smtp.to('delayed@example.com')).toHaveLength(0)

    const other = await createTestApp('maildelayed', { SMTP_URL: smtp.url, REDIS_PREFIX: shared.prefix })
    try {
      const mail = await smtp.waitFor((m) => m.to === 'delayed@example.com')
      expect(mail.text).toContain(SECRET_LINK)
    } finally {
      await other.cleanup()
    }
  })
})

describe('TLS to the SMTP server', () => {
  test('in production an smtp:// URL must upgrade with STARTTLS, except to this machine', () => {
    expect(mustUpgradeToTls('smtp://user:pass@mail.example.com:587', 'production')).toBe(true)
    expect(mustUpgradeToTls('smtp://10.0.0.5:25', 'production')).toBe(true)
    expect(mustUpgradeToTls('smtp://127.0.0.1:1025', 'production')).toBe(false)
    expect(mustUpgradeToTls('smtp://localhost:1025', 'production')).toBe(false)
    expect(mustUpgradeToTls('smtp://[::1]:1025', 'production')).toBe(false)
    expect(mustUpgradeToTls('smtps://mail.example.com:465', 'production')).toBe(false)
    expect(mustUpgradeToTls('smtp://mail.example.com:587', 'development')).toBe(false)
  })

  test('a transport that must upgrade refuses a server offering no STARTTLS; ?requireTLS=false in the URL opts out', async () => {
    const server = await startSmtpServer()
    try {
      const mail = composeMail('tls@example.com', 'Over TLS only', ['Hello.'])
      const strict = smtpTransport(server.url, 'Taproom <no-reply@example.com>', { requireTls: true })
      await expect(strict.send(mail)).rejects.toThrow()
      strict.close()
      expect(server.received).toHaveLength(0)
      const optedOut = smtpTransport(`${server.url}?requireTLS=false`, 'Taproom <no-reply@example.com>', {
        requireTls: true,
      })
      await optedOut.send(mail)
      optedOut.close()
      expect(server.received.map((m) => m.subject)).toEqual(['Over TLS only'])
    } finally {
      await server.close()
    }
  })
})

describe('how long a failing mail is retried', () => {
  test('waits double from 2 s up to 10 minutes, and the attempts span about a day', () => {
    const job = { opts: { backoff: { type: 'capped', delay: 2000 } } }
    const waits = Array.from({ length: RETRY_ATTEMPTS - 1 }, (_, i) => cappedBackoff(i + 1, 'capped', undefined, job))
    expect(waits.slice(0, 4)).toEqual([2000, 4000, 8000, 16_000])
    expect(Math.max(...waits)).toBe(10 * 60_000)
    const hours = waits.reduce((sum, wait) => sum + wait, 0) / 3_600_000
    expect(hours).toBeGreaterThan(23)
    expect(hours).toBeLessThan(25)
  })
})

describe('closing', () => {
  test('a job that never finishes cannot hold a close: the queue lets go after its grace period', async () => {
    const shared = isolation('mailclose')
    const mail = mailQueueOn(shared.prefix)
    let started = false
    mail.queue.handle('forever', () => {
      started = true
      return new Promise(() => {})
    })
    try {
      mail.start()
      await mail.queue.enqueue('forever', {})
      await waitUntil(() => started)
      const closing = performance.now()
      await mail.close()
      // The grace period is 2.5 s; cutting the connections after it takes at most 0.5 s more.
      expect(performance.now() - closing).toBeLessThan(4000)
    } finally {
      await dropIsolation(shared)
    }
  }, 20_000)
})

describe('sealing', () => {
  test('a job sealed under a rotated-out secret still opens while that secret is listed; a stranger’s does not', () => {
    const old = new Sealer(['old-secret'])
    const rotated = new Sealer(['new-secret', 'old-secret'])
    const sealed = old.seal({ to: 'a@example.com' })
    expect(rotated.open<{ to: string }>(sealed)).toEqual({ to: 'a@example.com' })
    expect(() => new Sealer(['other']).open(sealed)).toThrow(/cannot be opened/)
  })
})

describe('configuration', () => {
  const production = {
    NODE_ENV: 'production',
    SESSION_SECRET: TEST_SECRET,
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  }

  test('production refuses to start without SMTP_URL or APP_URL, naming the variable', () => {
    expect(() => parseEnv({ ...production, APP_URL: 'https://taproom.example' })).toThrow(/SMTP_URL: required/)
    expect(() => parseEnv({ ...production, SMTP_URL: 'smtp://mail:25' })).toThrow(/APP_URL: required/)
    const config = parseEnv({ ...production, SMTP_URL: 'smtps://u:p@mail:465', APP_URL: 'https://taproom.example/' })
    expect(config.mail).toEqual({ smtpUrl: 'smtps://u:p@mail:465', from: 'Taproom <no-reply@taproom.localhost>' })
    expect(config.appUrl).toBe('https://taproom.example')
  })

  test('defaults outside production: the dev outbox, APP_URL from PORT', () => {
    const config = parseEnv({ PORT: '8080' })
    expect(config.mail).toEqual({ smtpUrl: undefined, from: 'Taproom <no-reply@taproom.localhost>' })
    expect(config.appUrl).toBe('http://localhost:8080')
    expect(parseEnv({}).passwordResetSeconds).toBe(1200)
  })

  test('malformed values are refused with the variable named', () => {
    expect(() => parseEnv({ SMTP_URL: 'http://mail' })).toThrow(/SMTP_URL: must be an smtp:\/\/ or smtps:\/\/ URL/)
    expect(() => parseEnv({ APP_URL: 'javascript:alert(1)' })).toThrow(/APP_URL/)
    expect(() => parseEnv({ PASSWORD_RESET_SECONDS: '5' })).toThrow(/PASSWORD_RESET_SECONDS/)
  })
})

describe('the dev outbox', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp('devoutbox')
  })
  afterAll(() => t.cleanup())

  test('without SMTP_URL, GET /dev/mail lists queued mail with clickable links; the log names only the subject', async () => {
    await t.services.mail.queue.send(sample('dev@example.com'))
    await waitUntil(() => (t.services.mail.outbox?.list().length ?? 0) > 0)
    const response = await t.app.request('/dev/mail')
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const html = await response.text()
    expect(html).toContain('Hello from the queue')
    expect(html).toContain('dev@example.com')
    expect(html).toContain(`<a href="${SECRET_LINK}">${SECRET_LINK}</a>`)
    const line = t.logs.find((l) => l.includes('Hello from the queue'))
    expect(JSON.parse(line!).msg).toBe('mail "Hello from the queue" kept in the dev outbox (open /dev/mail to read it)')
    expect(t.logs.join('\n')).not.toContain('dev@example.com')
    expect(t.logs.join('\n')).not.toContain('SECRET-TOKEN')
  })

  test('only this machine may read it: from another address it is a 404', async () => {
    t.setSocketAddress('192.168.1.20')
    try {
      expect((await t.app.request('/dev/mail')).status).toBe(404)
    } finally {
      t.setSocketAddress('127.0.0.1')
    }
    t.setSocketAddress('::1')
    try {
      expect((await t.app.request('/dev/mail')).status).toBe(200)
    } finally {
      t.setSocketAddress('127.0.0.1')
    }
  })

  test('through a proxy it is a 404, even from loopback: behind one on the same machine every client is loopback', async () => {
    for (const [name, value] of [
      ['x-forwarded-for', '203.0.113.9'],
      ['forwarded', 'for=203.0.113.9'],
      ['x-real-ip', '203.0.113.9'],
    ] as const) {
      const { status } = await t.app.request('/dev/mail', { headers: { [name]: value } })
      expect({ name, status }).toEqual({ name, status: 404 })
    }
    const proxied = await createTestApp('devoutboxproxy', { TRUST_PROXY: 'true' })
    try {
      const { status } = await proxied.app.request('/dev/mail', { headers: { 'x-forwarded-for': '127.0.0.1' } })
      expect(status).toBe(404)
      expect((await proxied.app.request('/dev/mail')).status).toBe(404)
    } finally {
      await proxied.cleanup()
    }
  })

  test('it keeps the last 50 mails, newest first', async () => {
    for (let i = 0; i < 55; i++) t.services.mail.outbox!.add({ ...sample(`n${i}@example.com`), subject: `#${i}` }, i)
    const list = t.services.mail.outbox!.list()
    expect(list).toHaveLength(50)
    expect(list[0]!.subject).toBe('#54')
    expect(list[49]!.subject).toBe('#5')
  })
})

describe('/dev/mail in production', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await createTestApp('devmailprod', {
      NODE_ENV: 'production',
      SMTP_URL: smtp.url,
      APP_URL: 'https://taproom.example',
      DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      COOKIE_SECURE: 'false',
      ALLOW_INSECURE_COOKIES: 'true',
    })
  })
  afterAll(() => t.cleanup())

  test('is 404', async () => {
    const response = await t.app.request('/dev/mail')
    expect(response.status).toBe(404)
    expect(await response.text()).not.toContain('Dev outbox')
  })
})
