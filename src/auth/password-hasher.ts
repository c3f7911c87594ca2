import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import bcrypt from 'bcryptjs'
import type { BcryptJob, BcryptReply } from './bcrypt-worker.ts'
import { OverloadedError } from './overloaded.ts'

/* One bcrypt run takes well under a second; a worker still busy with one after this long is stuck. */
const STUCK_MS = 30_000

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
 */
export function createPasswordHasher({
  cost,
  workerUrl,
  workers = availableParallelism(),
  maxQueued,
  deadlineMs = 5000,
}: {
  cost: number
  workerUrl: URL
  workers?: number
  /** Default: 8 per worker, about 2 s of waiting at cost 12. */
  maxQueued?: number
  deadlineMs?: number
}): PasswordHasher {
  const size = Math.max(1, workers)
  const queueLimit = maxQueued ?? size * 8
  const pool: Worker[] = []
  const running: (Entry | undefined)[] = []
  const waiting: Entry[] = []
  let closed = false
  let nextId = 1

  function start(index: number): void {
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
    // A worker that dies takes only its own job with it; a fresh one replaces it.
    worker.on('error', (error) => fail(index, worker, error as Error))
    worker.on('exit', () => {
      fail(index, worker, new Error('password worker exited'))
      if (!closed && pool[index] === worker) {
        start(index)
        dispatch()
      }
    })
    pool[index] = worker
  }

  function fail(index: number, worker: Worker, error: Error): void {
    if (pool[index] !== worker) return
    const entry = running[index]
    running[index] = undefined
    if (!entry) return
    clearTimeout(entry.timer)
    entry.reject(error)
  }

  function dispatch(): void {
    for (let index = 0; index < size; index++) {
      const worker = pool[index]!
      if (running[index]) continue
      const entry = waiting.shift()
      if (!entry) {
        worker.unref()
        continue
      }
      entry.signal?.removeEventListener('abort', entry.onAbort!)
      running[index] = entry
      worker.ref()
      worker.postMessage({ ...entry.job, id: entry.id })
    }
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
      const stuck = pool[index]!
      start(index)
      stuck.terminate()
      entry.reject(new OverloadedError('Password checking'))
      dispatch()
    }, STUCK_MS)
  }

  for (let i = 0; i < size; i++) start(i)

  return {
    cost,
    get queued() {
      return waiting.length
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
      await Promise.all(pool.map((worker) => worker.terminate()))
    },
  }
}
