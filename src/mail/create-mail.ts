import type { Config } from '../env.ts'
import type { Logger } from '../log.ts'
import { closeRedis, createRedis, type RedisClient } from '../redis/client.ts'
import { DevOutbox } from './dev-outbox.ts'
import { MailQueue, type QueueLogFields } from './queue.ts'
import { Sealer } from './seal.ts'
import { mustUpgradeToTls, outboxTransport, smtpTransport } from './transport.ts'

export type MailComponent = {
  queue: MailQueue
  /** Set when mail goes to the dev outbox (no SMTP_URL, not production). */
  outbox?: DevOutbox
  /** Starts sending queued mail from this process. */
  start(): void
  close(): Promise<void>
}

export type MailComponentOptions = {
  logger: Logger
  now: () => number
  /** Retry timing; tests shorten it. */
  attempts?: number
  backoffMs?: number
  /** How often a process whose queue worker has not started looks for queued jobs; tests shorten it. */
  watchEveryMs?: number
}

/**
 * Mail from the configuration: SMTP when SMTP_URL is set, else (never in
 * production, which refuses to start without SMTP_URL) the dev outbox. The
 * queue gets two Redis connections of its own: one that fails fast for
 * requests that add jobs, and one allowed to block for the worker.
 */
export function createMail(config: Config, options: MailComponentOptions): MailComponent {
  const outbox = config.mail.smtpUrl ? undefined : new DevOutbox()
  const transport = outbox
    ? outboxTransport(outbox, (line) => options.logger.info(line), options.now)
    : smtpTransport(config.mail.smtpUrl!, config.mail.from, {
        requireTls: mustUpgradeToTls(config.mail.smtpUrl!, config.nodeEnv),
      })
  const producer = createRedis(config.redis)
  const consumer = createRedis(config.redis, {
    maxRetriesPerRequest: null,
    commandTimeout: undefined,
    enableOfflineQueue: true,
  })
  const clients: RedisClient[] = [producer, consumer]
  // BullMQ listens for their errors once it is loaded; before that, a listener keeps ioredis
  // from printing every failed reconnect (the app's own client already logs an outage).
  for (const client of clients) client.on('error', () => {})
  const queue = new MailQueue({
    producer,
    consumer,
    prefix: config.redis.prefix,
    sealer: new Sealer(config.session.secrets),
    transport,
    // A retry is routine; a mail given up on, or a queue that cannot reach Redis, needs someone to look.
    log: (fields: QueueLogFields) =>
      options.logger[fields.event === 'mail_retry' ? 'info' : 'warn']({ type: 'mail', ...fields }, fields.event),
    attempts: options.attempts,
    backoffMs: options.backoffMs,
    watchEveryMs: options.watchEveryMs,
  })
  return {
    queue,
    outbox,
    start: () => queue.start(),
    async close() {
      await queue.close()
      transport.close()
      await Promise.all(clients.map((client) => closeRedis(client)))
    },
  }
}
