import type { Job, Queue, UnrecoverableError, Worker } from 'bullmq'
import { fulfilledWithin } from '../fulfilled-within.ts'
import type { RedisClient } from '../redis/client.ts'
import { viaRedis } from '../unavailable.ts'
import type { Mail } from './message.ts'
import type { Sealer } from './seal.ts'
import type { MailTransport } from './transport.ts'

/** Runs one queued task; throwing makes the queue retry it with backoff. */
export type TaskHandler = (payload: unknown) => Promise<void>

/** Fields of a queue log line: never a token, an address or a mail body. */
export type QueueLogFields = { event: string; task: string; jobId?: string; attempts?: number; error?: string }

export type MailQueueOptions = {
  /** Adds jobs: a client with short timeouts, so a request fails fast (503) while Redis is down. */
  producer: RedisClient
  /** Runs jobs: a client allowed to block and to wait out reconnects. */
  consumer: RedisClient
  /** REDIS_PREFIX; the queue's keys go under `<prefix>{mail}:`, one hash slot on Redis Cluster. */
  prefix: string
  sealer: Sealer
  transport: MailTransport
  log: (fields: QueueLogFields) => void
  attempts?: number
  /** First retry delay; each next one doubles. */
  backoffMs?: number
  concurrency?: number
  /** How often a process whose worker has not started looks for queued jobs. */
  watchEveryMs?: number
}

const QUEUE_NAME = 'outgoing'
/*
 * Retries wait twice as long each time from 2 s, but never more than 10
 * minutes, for about a day: an SMTP server down for an hour costs its mail
 * an hour, not all of it (8 doublings from 2 s gave up after 4 minutes).
 */
const CAPPED = 'capped'
const FIRST_RETRY_MS = 2000
const MAX_RETRY_WAIT_MS = 10 * 60_000
export const RETRY_ATTEMPTS = 151

export function cappedBackoff(
  attemptsMade: number,
  _type?: string,
  _error?: Error,
  job?: { opts: { backoff?: unknown } },
) {
  const delay = (job?.opts.backoff as { delay?: number } | undefined)?.delay ?? FIRST_RETRY_MS
  return Math.min(delay * 2 ** (attemptsMade - 1), MAX_RETRY_WAIT_MS)
}
/*
 * How long running jobs may take to finish at shutdown, then how long cutting
 * the connections may take: together well inside the 5 s the whole close is
 * given (boot.ts), which still has Redis and MySQL to close after this.
 */
const CLOSE_GRACE_MS = 2500
const CUT_OFF_MS = 500
const DELIVER = 'deliver'
const KEEP_FAILED_SECONDS = 7 * 24 * 60 * 60
const WATCH_EVERY_MS = 15_000
/* BullMQ's keys for jobs still to run (lists and sorted sets, gone from Redis when empty); its QueueKeys names them. */
const UNFINISHED = ['wait', 'paused', 'delayed', 'prioritized', 'active', 'waiting-children']

/*
 * BullMQ costs about 10 MB of memory once loaded, and most processes send mail
 * rarely: it is loaded with the first job this process queues, or when a
 * process that runs jobs finds some waiting.
 */
let bullmq: Promise<typeof import('bullmq')> | undefined
const loadBullmq = () => (bullmq ??= import('bullmq'))

type JobData = { sealed: string }

/**
 * Mail and the work that leads to it, run from a BullMQ queue on the app's
 * Redis: a job survives a restart or a crash of the instance that queued it,
 * any instance can run it, and failures are retried with exponential backoff.
 * A request only adds a job and never waits for delivery, so its answer cannot
 * depend on whether, or how fast, a mail goes out.
 *
 * A process that runs jobs (start()) starts its BullMQ worker when it queues
 * its first job, or when it finds jobs waiting that another instance (or this
 * one before a restart) queued: it looks at startup and then every
 * `watchEveryMs`, with one Redis command and without loading BullMQ.
 */
export class MailQueue {
  #queue: Promise<Queue<JobData>> | undefined
  readonly #options: MailQueueOptions
  readonly #handlers = new Map<string, TaskHandler>([
    [DELIVER, (payload) => this.#options.transport.send(payload as Mail)],
  ])
  #serving = false
  #closed = false
  #watch: ReturnType<typeof setTimeout> | undefined
  #worker: Promise<Worker<JobData>> | undefined

  constructor(options: MailQueueOptions) {
    this.#options = options
  }

  /** Registers what runs a task of this kind. */
  handle(kind: string, handler: TaskHandler): void {
    this.#handlers.set(kind, handler)
  }

  /** Queues a mail for delivery. */
  send(mail: Mail): Promise<void> {
    return this.enqueue(DELIVER, mail)
  }

  /** Queues a task; its payload is sealed before it reaches Redis. */
  async enqueue(kind: string, payload: unknown): Promise<void> {
    const sealed = this.#options.sealer.seal(payload)
    await viaRedis(this.#producerQueue().then((queue) => queue.add(kind, { sealed })))
    if (this.#serving) this.#startWorker()
  }

  /** Runs queued jobs in this process from now on; call once Redis answers. */
  start(): void {
    if (this.#serving || this.#closed) return
    this.#serving = true
    void this.#lookForJobs()
  }

  /** Whether this process's BullMQ worker is running (or starting). */
  get working(): boolean {
    return this.#worker !== undefined
  }

  /** Jobs waiting, delayed for a retry, or running: for tests and readiness. */
  async pending(): Promise<number> {
    return (await this.#producerQueue()).getJobCountByTypes('wait', 'delayed', 'active', 'prioritized')
  }

  /**
   * Stops taking jobs and lets running ones finish, for a few seconds at most:
   * a send stuck on a dead SMTP server or an unreachable Redis node must not
   * hold a shutdown. A job cut off here loses nothing: its lock expires and
   * another instance (or this one, restarted) runs it again.
   */
  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#watch)
    const [worker, queue] = await Promise.all([
      this.#worker?.catch(() => undefined),
      this.#queue?.catch(() => undefined),
    ])
    // The worker first: a job still running may add a mail to the queue as it finishes.
    const graceful = (async () => {
      await worker?.close().catch(() => undefined)
      await queue?.close().catch(() => undefined)
      return true
    })()
    if (await fulfilledWithin(graceful, CLOSE_GRACE_MS)) return
    // A forced close would only wait for the graceful one already under way
    // (BullMQ returns the close in progress), so the connections are cut
    // instead. Waiting for them to report closed is bounded too: a Redis
    // Cluster client in the middle of a reconnect may never say so.
    await fulfilledWithin(Promise.allSettled([worker?.disconnect(), queue?.disconnect()]), CUT_OFF_MS)
  }

  /* One EXISTS over the queue's keys of unfinished jobs (one hash slot); BullMQ is loaded only when it finds any. */
  async #lookForJobs(): Promise<void> {
    if (this.#closed || this.#worker) return
    const { consumer, prefix, watchEveryMs = WATCH_EVERY_MS } = this.#options
    const keys = UNFINISHED.map((state) => `${prefix}{mail}:${QUEUE_NAME}:${state}`)
    // The worker's client: it connects on first use and waits out a reconnect instead of failing.
    const found = await consumer.exists(...keys).catch(() => 0)
    if (found > 0) this.#startWorker()
    if (this.#closed || this.#worker) return
    this.#watch = setTimeout(() => void this.#lookForJobs(), watchEveryMs)
    this.#watch.unref()
  }

  #startWorker(): void {
    clearTimeout(this.#watch)
    if (this.#closed) return
    this.#worker ??= Promise.all([loadBullmq(), this.#producerQueue()]).then(([{ Worker, UnrecoverableError }]) => {
      const { consumer, prefix, concurrency = 4, log } = this.#options
      const worker = new Worker<JobData>(QUEUE_NAME, (job) => this.#run(job, UnrecoverableError), {
        connection: consumer,
        prefix: `${prefix}{mail}`,
        concurrency,
        settings: { backoffStrategy: cappedBackoff },
      })
      worker.on('failed', (job, error) => {
        if (!job) return
        const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1)
        const ours = error instanceof UnrecoverableError || error instanceof TaskFailure
        log({
          event: final ? 'mail_failed' : 'mail_retry',
          task: job.name,
          jobId: job.id,
          attempts: job.attemptsMade,
          error: ours ? error.message : describeError(error),
        })
      })
      worker.on('error', (error) => log({ event: 'mail_queue_error', task: '-', error: describeError(error) }))
      return worker
    })
  }

  /*
   * Made on first use rather than at construction: BullMQ connects as soon as
   * a queue exists, and before startup has seen Redis answer that would only
   * produce connection errors.
   */
  #producerQueue(): Promise<Queue<JobData>> {
    this.#queue ??= loadBullmq().then(({ Queue }) => {
      const { producer, prefix, attempts = RETRY_ATTEMPTS, backoffMs = FIRST_RETRY_MS, log } = this.#options
      const queue = new Queue<JobData>(QUEUE_NAME, {
        connection: producer,
        prefix: `${prefix}{mail}`,
        // Nothing reads the event stream; keep only a little of it.
        streams: { events: { maxLen: 100 } },
        defaultJobOptions: {
          attempts,
          backoff: { type: CAPPED, delay: backoffMs },
          removeOnComplete: true,
          removeOnFail: { age: KEEP_FAILED_SECONDS, count: 1000 },
          // A stack names only our files, and nothing reads it from Redis.
          stackTraceLimit: 0,
        },
      })
      queue.on('error', (error) => log({ event: 'mail_queue_error', task: '-', error: describeError(error) }))
      return queue
    })
    return this.#queue
  }

  async #run(job: Job<JobData>, Unrecoverable: typeof UnrecoverableError): Promise<void> {
    const handler = this.#handlers.get(job.name)
    if (!handler) throw new Unrecoverable(`no handler for task ${job.name}`)
    let payload: unknown
    try {
      payload = this.#options.sealer.open(job.data.sealed)
    } catch (error) {
      throw new Unrecoverable(describeError(error))
    }
    try {
      await handler(payload)
    } catch (error) {
      // BullMQ keeps a failed job's error message in Redis for days: an SMTP
      // reply may quote the address, a driver error the query's values.
      const described = describeError(error)
      throw recipientRefused(error) ? new Unrecoverable(described) : new TaskFailure(described)
    }
  }
}

/** A task's error as the queue keeps it: the original's class and codes only (see describeError). */
class TaskFailure extends Error {
  override name = 'TaskFailure'
}

/*
 * The mail server refused the mailbox itself: a 550, 551 or 553 to RCPT TO
 * with an enhanced status of 5.1.x (bad destination address). Retrying cannot
 * deliver it. Other refusals, such as "relaying denied" or "authentication
 * required", are a misconfiguration that may be fixed within the retries.
 */
function recipientRefused(error: unknown): boolean {
  const e = error as { command?: string; responseCode?: number; response?: string } | undefined
  return (
    e?.command === 'RCPT TO' &&
    [550, 551, 553].includes(e.responseCode ?? 0) &&
    /^5\d\d[ -]5\.1\.\d/.test(e.response ?? '')
  )
}

/*
 * An SMTP server's message may quote the recipient's address, so only the
 * error's class and codes reach the log.
 */
function describeError(error: unknown): string {
  const e = error as { name?: string; code?: string; responseCode?: number } | undefined
  return [e?.name ?? 'Error', e?.code, e?.responseCode].filter(Boolean).join(' ')
}
