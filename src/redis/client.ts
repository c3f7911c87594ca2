import { Cluster, type ClusterOptions, type Command, Redis, type RedisOptions } from 'ioredis'
import type { Config } from '../env.ts'
import { fulfilledWithin } from '../fulfilled-within.ts'
import '../tracing-channel.ts'

export type RedisClient = Redis | Cluster

/*
 * Bounded everything: a request that needs Redis while it is down or frozen
 * fails within about a second (and becomes a 503) instead of queueing behind
 * reconnects. What a failed request sent may still reach Redis later: the
 * session scripts carry their own deadline for that (session/scripts.ts).
 */
const COMMAND_TIMEOUT_MS = 1000
const CONNECT_TIMEOUT_MS = 1000
/** Commands sent and not yet answered by Redis, per client; beyond it new ones fail at once, so a freeze cannot grow memory. */
const MAX_IN_FLIGHT = 1000
const CHECK_EVERY_MS = 100

const reconnectDelay = (attempt: number) => Math.min(50 * 2 ** attempt, 1000)

const baseOptions: RedisOptions = {
  connectTimeout: CONNECT_TIMEOUT_MS,
  maxRetriesPerRequest: 0,
  enableOfflineQueue: false,
  // Commands issued in the same tick go out in one write: many concurrent
  // page views cost Redis fewer reads and the app fewer syscalls.
  enableAutoPipelining: true,
  retryStrategy: reconnectDelay,
  lazyConnect: true,
}

const watched = Symbol('watched')
type Watched = Command & { [watched]?: true }
type Sent = { sentAt: number; fail: (error: Error) => void; answered: boolean }

/**
 * Fails commands Redis has not answered within `limitMs`, with one periodic
 * check of the oldest ones rather than a timer per command (a timer each
 * costs more than the command at thousands of requests a second), and
 * refuses new commands at once while `MAX_IN_FLIGHT` are unanswered. A
 * command counts as in flight until Redis answers it or its connection
 * drops, even after it failed here: that is what holds memory while Redis is
 * frozen. With `failFastWhenHung`, while the oldest unanswered command is
 * older than the limit, new ones fail at once too: behind auto-pipelining a
 * command waits for the batch before it, so it would otherwise wait twice.
 */
class Watchdog {
  readonly #limitMs: number
  readonly #failFastWhenHung: boolean
  #sent: Sent[] = []
  #oldest = 0
  #nextToFail = 0
  #inFlight = 0
  #timer: ReturnType<typeof setInterval> | undefined
  readonly #batches = new WeakMap<object, boolean>()

  constructor(limitMs: number, failFastWhenHung: boolean) {
    this.#limitMs = limitMs
    this.#failFastWhenHung = failFastWhenHung
  }

  /**
   * Tracks a command about to be sent; false when it was refused instead.
   * The commands of one pipeline (`batch`: an auto-pipelined tick, a MULTI)
   * are admitted or refused together, by the verdict on the first of them.
   * ioredis writes a pipeline only once every command in it has been written:
   * one refused in the middle would leave the others queued for replies that
   * never come (wedging the client, or handing later commands the replies of
   * others), and a transaction must not run with some of its commands missing.
   */
  admit(command: Watched, batch?: object): boolean {
    if (command[watched]) return true
    let admitted = batch === undefined ? undefined : this.#batches.get(batch)
    if (admitted === undefined) {
      admitted = this.#inFlight < MAX_IN_FLIGHT && !(this.#failFastWhenHung && this.#hung())
      if (batch !== undefined) this.#batches.set(batch, admitted)
    }
    if (!admitted) {
      command.reject(new Error('Redis is not answering'))
      return false
    }
    command[watched] = true
    this.#inFlight++
    const entry: Sent = { sentAt: performance.now(), fail: command.reject, answered: false }
    const done = () => {
      if (entry.answered) return
      entry.answered = true
      this.#inFlight--
    }
    const { resolve, reject } = command
    command.resolve = (value) => {
      done()
      resolve(value)
    }
    command.reject = (error) => {
      done()
      reject(error)
    }
    this.#sent.push(entry)
    this.#timer ??= setInterval(() => this.#check(), CHECK_EVERY_MS).unref()
    return true
  }

  #hung(): boolean {
    this.#dropAnswered()
    const oldest = this.#sent[this.#oldest]
    return oldest !== undefined && performance.now() - oldest.sentAt >= this.#limitMs
  }

  #dropAnswered(): void {
    while (this.#oldest < this.#sent.length && this.#sent[this.#oldest]!.answered) this.#oldest++
  }

  #check(): void {
    const expired = performance.now() - this.#limitMs
    const sent = this.#sent
    let i = Math.max(this.#nextToFail, this.#oldest)
    for (; i < sent.length && sent[i]!.sentAt <= expired; i++) {
      if (!sent[i]!.answered) sent[i]!.fail(new Error('Command timed out'))
    }
    this.#nextToFail = i
    this.#dropAnswered()
    if (this.#oldest === sent.length) {
      this.#sent = []
      this.#oldest = 0
      this.#nextToFail = 0
      clearInterval(this.#timer)
      this.#timer = undefined
    } else if (this.#oldest > 1024 && this.#oldest * 2 > sent.length) {
      this.#sent = sent.slice(this.#oldest)
      this.#nextToFail = Math.max(0, this.#nextToFail - this.#oldest)
      this.#oldest = 0
    }
  }
}

/** The pipeline a command is sent as part of: ioredis passes each pipeline's commands a stream of its own. */
function pipelineOf(stream: unknown): object | undefined {
  return stream && typeof stream === 'object' && (stream as { isPipeline?: boolean }).isPipeline ? stream : undefined
}

class WatchedRedis extends Redis {
  readonly #watchdog: Watchdog

  constructor(limitMs: number, options: RedisOptions, url?: string) {
    const legacy = options as RedisOptions & { replyMapping?: 'legacy' }
    if (url === undefined) super(legacy)
    else super(url, legacy)
    this.#watchdog = new Watchdog(limitMs, true)
  }

  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    if (!this.#watchdog.admit(command, pipelineOf(stream))) return command.promise
    return super.sendCommand(command, stream)
  }
}

class WatchedCluster extends Cluster {
  readonly #watchdog: Watchdog

  constructor(nodes: ConstructorParameters<typeof Cluster>[0], options: ClusterOptions, limitMs: number) {
    super(nodes, options as ClusterOptions & { redisOptions?: { replyMapping?: 'legacy' } })
    // One master down must not fail the others' commands: no failing fast here.
    this.#watchdog = new Watchdog(limitMs, false)
  }

  override sendCommand(command: Command, stream?: Parameters<Cluster['sendCommand']>[1], node?: unknown): unknown {
    if (!this.#watchdog.admit(command, pipelineOf(stream))) return command.promise
    return super.sendCommand(command, stream, node)
  }
}

/**
 * Credentials and TLS from REDIS_URL, for the Cluster and Sentinel clients,
 * which take their addresses from REDIS_CLUSTER_NODES or the sentinels instead.
 */
function fromUrl(value: string): Pick<RedisOptions, 'username' | 'password' | 'tls'> {
  const url = new URL(value)
  return {
    username: decodeURIComponent(url.username) || undefined,
    password: decodeURIComponent(url.password) || undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
  }
}

/**
 * Builds the ioredis client the configuration asks for: a Cluster client when
 * REDIS_CLUSTER_NODES is set, a Sentinel-managed one when REDIS_SENTINELS is,
 * else a single server from REDIS_URL. It does not connect until connectRedis().
 * `overrides` are for a client with other needs, such as a queue worker that
 * blocks on purpose and waits out reconnects.
 */
export function createRedis(config: Config['redis'], overrides: RedisOptions = {}): RedisClient {
  // A client that blocks on purpose (a queue worker) asks for no command timeout.
  const limitMs = 'commandTimeout' in overrides ? overrides.commandTimeout : COMMAND_TIMEOUT_MS
  const options = { ...baseOptions, ...overrides, commandTimeout: undefined }
  if (config.clusterNodes) {
    // ioredis gives each node connection its own offline queue and no
    // reconnects (it re-reads the slot map instead); the watchdog still
    // bounds every request to about a second while a master is down.
    // Auto-pipelining stays off here: ioredis batches a cluster's commands by
    // the first key of the batch, and a session script's keys vary per batch.
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: overrides.enableOfflineQueue ?? false,
      enableAutoPipelining: false,
      clusterRetryStrategy: reconnectDelay,
      lazyConnect: true,
      slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
      redisOptions: { ...options, enableAutoPipelining: false, ...fromUrl(config.url) },
    }
    return limitMs === undefined
      ? new Cluster(config.clusterNodes, clusterOptions)
      : new WatchedCluster(config.clusterNodes, clusterOptions, limitMs)
  }
  const single: RedisOptions = config.sentinels
    ? {
        ...options,
        ...fromUrl(config.url),
        ...overrides,
        commandTimeout: undefined,
        sentinels: config.sentinels,
        name: config.sentinelName,
        enableTLSForSentinelMode: fromUrl(config.url).tls !== undefined,
        // Drop the connection as soon as a sentinel announces a new master,
        // instead of writing to the demoted one until it closes our connection.
        failoverDetector: true,
      }
    : options
  const url = config.sentinels ? undefined : config.url
  if (limitMs !== undefined) return new WatchedRedis(limitMs, single, url)
  return url === undefined ? new Redis(single) : new Redis(url, single)
}

/**
 * Connects and waits until Redis answers, retrying with backoff (ioredis keeps
 * reconnecting on its own) until the attempts run out. Each failed attempt is
 * logged with the connection error behind it, e.g. "connect ECONNREFUSED".
 */
export async function connectRedis(
  client: RedisClient,
  { attempts = 30, log = (message: string) => console.error(message) } = {},
): Promise<void> {
  let lastError: Error | undefined
  const remember = (error: Error) => {
    lastError = error
  }
  client.on('error', remember)
  try {
    if (client.status === 'wait') client.connect().catch(remember)
    for (let attempt = 1; ; attempt++) {
      const delay = reconnectDelay(attempt)
      if (client.status !== 'ready') await settled(client, CONNECT_TIMEOUT_MS)
      try {
        await client.ping()
        return
      } catch (error) {
        const reason = lastError ?? (error as Error)
        if (attempt >= attempts) throw new Error(`Redis: ${reason.message}`, { cause: reason })
        log(`Redis not reachable yet (attempt ${attempt}/${attempts}: ${reason.message}); retrying in ${delay} ms`)
        lastError = undefined
        await new Promise((resolve) => setTimeout(resolve, delay))
      }
    }
  } finally {
    client.off('error', remember)
  }
}

/** Resolves when the client is ready, reports an error, or `ms` pass, whichever is first. */
function settled(client: RedisClient, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      client.off('ready', done)
      client.off('error', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    client.once('ready', done)
    client.once('error', done)
  })
}

/**
 * Closes a client politely (QUIT, so replies in flight arrive) but for a short
 * while only: a client that waits out reconnects would otherwise queue the
 * QUIT behind a node that is gone, and hold a shutdown forever.
 */
export async function closeRedis(client: RedisClient, withinMs = 2000): Promise<void> {
  const done = await fulfilledWithin(client.quit(), withinMs).catch(() => false)
  // QUIT closes a Sentinel-managed client's connection to its master, not
  // the ones it keeps to the sentinels to hear of failovers: those close with
  // disconnect(), which after a QUIT does nothing else. Left open, they
  // outlive the client and, once a sentinel goes, reconnect to it every
  // minute with nobody listening for their errors.
  if (!done || !(client instanceof Cluster)) client.disconnect()
}
