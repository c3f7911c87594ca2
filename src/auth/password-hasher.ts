import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import bcrypt from 'bcryptjs'
import type { BcryptJob, BcryptReply } from './bcrypt-worker.ts'
import { OverloadedError } from './overloaded.ts'

/*
 * One bcrypt run takes well under a second. A worker still busy this long
 * after its job's deadline is stuck: the job is answered busy (503) and the
 * worker replaced. With the 5 s deadline the user has the busy form within
 * 10 s, not a spinner for half a minute (nor the Node server's 30 s request
 * timeout, which would drop the connection).
 */
const STUCK_MS = 4_000
/* A worker beyond the first, idle this long, exits: a burst of logins is over (each costs 3-4 MB while it lives). */
const IDLE_MS = 60_000

type Job = BcryptJob extends infer J ? (J extends { id: number } ? Omit<J, 'id'> : never) : never
type Done = { value: string | boolean; workMs: number }
type Entry = {
  id: number
  job: Job
  resolve: (done: Done) => void
  reject: (error: Error) => void
  timer: ReturnType<typeof setTimeout>
  signal?: AbortSignal
  onAbort?: () => void
}

/** `signal`: the request's; a job still waiting when its client has gone is dropped. */
export type HashOptions = { signal?: AbortSignal }

export interface PasswordHasher {
  hash(password: string, options?: HashOptions): Promise<string>
  verify(password: string, hash: string, options?: HashOptions): Promise<boolean>
  /** Like verify, also telling how long bcrypt itself took (for failed-login timing, see Authenticator). */
  verifyTimed(password: string, hash: string, options?: HashOptions): Promise<{ matches: boolean; workMs: number }>
  /** The cost factor of a stored hash, to re-hash those below the configured cost. */
  costOf(hash: string): number
  readonly cost: number
  /** Jobs waiting for a worker. */
  readonly queued: number
  /** Worker threads running now. */
  readonly threads: number
  close(): Promise<void>
}

/**
 * bcrypt on a small pool of worker threads, one per core by default: a login
 * costs hundreds of milliseconds of CPU, which must not stall the event loop
 * that serves everyone else's page views.
 *
 * Each worker runs one job at a time from a bounded queue: beyond `maxQueued`
 * waiting jobs a new one is refused at once (OverloadedError, a 503), a job
 * not started within `deadlineMs` of being queued fails the same way (a
 * started one is left to finish: restarting a worker that is slow only
 * because the machine is busy would waste the work and slow the next), and a
 * waiting job whose request was abandoned never runs.
 *
 * Workers start when jobs need them, not before: the first with the first
 * job, the next only when jobs overlap. Every worker but the first exits after
 * `idleMs` without a job; the first stays, and with it bcrypt compiled by the
 * JIT: a fresh worker's first run took 1.3-1.8 times as long as a warm one's
 * here, which would otherwise fall on the first login after a quiet minute.
 */
export function createPasswordHasher({
  cost,
  workerUrl,
  workers = availableParallelism(),
  maxQueued,
  deadlineMs = 5000,
  stuckMs = STUCK_MS,
  idleMs = IDLE_MS,
}: {
  cost: number
  workerUrl: URL
  workers?: number
  /** Default: 8 per worker, about 2 s of waiting at cost 12. */
  maxQueued?: number
  deadlineMs?: number
  /** How long past its deadline a started job may run before its worker counts as stuck. */
  stuckMs?: number
  idleMs?: number
}): PasswordHasher {
  const size = Math.max(1, workers)
  const queueLimit = maxQueued ?? size * 8
  const pool: (Worker | undefined)[] = []
  const idleTimers: (ReturnType<typeof setTimeout> | undefined)[] = []
  const running: (Entry | undefined)[] = []
  const waiting: Entry[] = []
  let closed = false
  let nextId = 1

  function start(index: number): Worker {
    const worker = new Worker(workerUrl)
    // Idle workers must not keep a finished process alive.
    worker.unref()
    worker.on('message', (reply: BcryptReply) => {
      const entry = running[index]
      // A reply from a replaced worker, for a job already failed by its deadline.
      if (pool[index] !== worker || entry?.id !== reply.id) return
      running[index] = undefined
      clearTimeout(entry.timer)
      if (reply.ok) entry.resolve({ value: reply.value, workMs: reply.workMs })
      else entry.reject(new Error(reply.error))
      dispatch()
    })
    // A worker that dies takes only its own job with it; the next job starts a fresh one.
    worker.on('error', (error) => fail(index, worker, error as Error))
    worker.on('exit', () => {
      fail(index, worker, new Error('password worker exited'))
      if (pool[index] !== worker) return
      pool[index] = undefined
      if (!closed) dispatch()
    })
    pool[index] = worker
    return worker
  }

  function retire(index: number): void {
    idleTimers[index] = undefined
    const worker = pool[index]
    if (!worker || running[index]) return
    pool[index] = undefined
    void worker.terminate()
  }

  function fail(index: number, worker: Worker, error: Error): void {
    if (pool[index] !== worker) return
    const entry = running[index]
    running[index] = undefined
    if (!entry) return
    clearTimeout(entry.timer)
    entry.reject(error)
  }

  /* Idle workers already started take jobs first (warm, no start-up); a worker is started only for a job none of them can take. */
  function dispatch(): void {
    for (const startIdle of [false, true]) {
      for (let index = 0; index < size; index++) {
        if (running[index] || (!pool[index] && !startIdle)) continue
        const entry = waiting.shift()
        if (!entry) {
          if (!startIdle) idle(index)
          continue
        }
        clearTimeout(idleTimers[index])
        idleTimers[index] = undefined
        entry.signal?.removeEventListener('abort', entry.onAbort!)
        running[index] = entry
        const worker = pool[index] ?? start(index)
        worker.ref()
        worker.postMessage({ ...entry.job, id: entry.id })
      }
    }
  }

  function idle(index: number): void {
    const worker = pool[index]
    if (!worker) return
    worker.unref()
    if (index === 0 || closed || idleTimers[index]) return
    idleTimers[index] = setTimeout(() => retire(index), idleMs)
    idleTimers[index].unref()
  }

  function run(job: Job, { signal }: HashOptions = {}): Promise<Done> {
    if (closed) return Promise.reject(new Error('password hasher closed'))
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (waiting.length >= queueLimit) return Promise.reject(new OverloadedError('Password checking'))
    return new Promise((resolve, reject) => {
      const entry: Entry = {
        id: nextId++,
        job,
        resolve,
        reject,
        signal,
        timer: setTimeout(() => expire(entry), deadlineMs),
      }
      entry.onAbort = () => {
        drop(entry)
        reject(signal!.reason)
      }
      signal?.addEventListener('abort', entry.onAbort, { once: true })
      waiting.push(entry)
      dispatch()
    })
  }

  function drop(entry: Entry): void {
    const at = waiting.indexOf(entry)
    if (at >= 0) waiting.splice(at, 1)
    clearTimeout(entry.timer)
  }

  /* Past its deadline a waiting job is refused; a running one goes on, unless its worker is stuck. */
  function expire(entry: Entry): void {
    const index = running.indexOf(entry)
    if (index < 0) {
      drop(entry)
      entry.signal?.removeEventListener('abort', entry.onAbort!)
      entry.reject(new OverloadedError('Password checking'))
      return
    }
    entry.timer = setTimeout(() => {
      if (running[index] !== entry) return
      running[index] = undefined
      const stuck = pool[index]
      pool[index] = undefined
      void stuck?.terminate()
      entry.reject(new OverloadedError('Password checking'))
      dispatch()
    }, stuckMs)
  }

  return {
    cost,
    get queued() {
      return waiting.length
    },
    get threads() {
      return pool.filter(Boolean).length
    },
    hash: async (password, options) => (await run({ op: 'hash', password, cost }, options)).value as string,
    verify: async (password, hash, options) => (await run({ op: 'compare', password, hash }, options)).value as boolean,
    async verifyTimed(password, hash, options) {
      const { value, workMs } = await run({ op: 'compare', password, hash }, options)
      return { matches: value as boolean, workMs }
    },
    costOf: (hash) => bcrypt.getRounds(hash),
    async close() {
      closed = true
      const error = new Error('password hasher closed')
      for (const entry of waiting.splice(0)) {
        clearTimeout(entry.timer)
        entry.reject(error)
      }
      for (const entry of running.splice(0)) {
        if (!entry) continue
        clearTimeout(entry.timer)
        entry.reject(error)
      }
      for (const timer of idleTimers) clearTimeout(timer)
      await Promise.all(pool.map((worker) => worker?.terminate()))
    },
  }
}
