import { Worker } from 'node:worker_threads'
import { OverloadedError } from './overloaded.ts'
import { STRENGTH_MAX_LENGTH } from './strength-limit.ts'
import type { StrengthJob, StrengthReply } from './strength-worker.ts'

/** Judges new passwords with zxcvbn, away from the thread that serves requests. */
export interface StrengthCheck {
  /** Why `password` is too easy to guess, or null; `related` are the account's own words (its email). */
  weakPasswordReason(password: string, related: readonly string[]): Promise<string | null>
  close(): Promise<void>
}

type Entry = {
  job: StrengthJob
  resolve: (reason: string | null) => void
  reject: (error: Error) => void
  timer: ReturnType<typeof setTimeout>
}

/*
 * A check takes a few milliseconds (tens on a loaded machine; the input is cut
 * to 32 characters); more than this many waiting means a flood, which is
 * refused rather than queued.
 */
const MAX_WAITING = 32
const DEADLINE_MS = 2000
/*
 * A check still running this long is not slow but stuck: its worker is
 * replaced and the check answered busy, so the page gets that answer within
 * seconds (and well inside the Node server's 30 s request timeout).
 */
const STUCK_MS = 5000
/* The worker and its ~17 MB of dictionaries go away when nobody has signed up for a while. */
const IDLE_MS = 60_000

/**
 * zxcvbn in one worker thread, started on first use and stopped when idle, so
 * the dictionaries cost no memory at rest and no check can stall the event
 * loop. The worker takes one check at a time from a bounded queue: a check
 * still waiting at its deadline is dropped without running (OverloadedError),
 * so a flood costs the worker no more than it can do. A check that has started
 * is answered, unless it runs so long the worker is stuck (then replaced).
 */
export function createStrengthCheck({
  workerUrl,
  deadlineMs = DEADLINE_MS,
  stuckMs = STUCK_MS,
}: {
  workerUrl: URL
  /** How long one check may wait for the worker; once it runs it is bounded by the stuck check. */
  deadlineMs?: number
  /** How long a check may run before its worker counts as stuck. */
  stuckMs?: number
}): StrengthCheck {
  let worker: Worker | undefined
  let running: Entry | undefined
  let stuckTimer: ReturnType<typeof setTimeout> | undefined
  let idleTimer: ReturnType<typeof setTimeout> | undefined
  const waiting: Entry[] = []
  let nextId = 1
  let closed = false

  function started(): Worker {
    if (worker) return worker
    const fresh = new Worker(workerUrl)
    fresh.on('message', (reply: StrengthReply) => {
      if (worker !== fresh || running?.job.id !== reply.id) return
      const entry = running
      finishRunning()
      clearTimeout(entry.timer)
      entry.resolve(reply.reason)
      dispatch()
    })
    const lost = (error: Error) => {
      if (worker !== fresh) return
      worker = undefined
      const entry = running
      finishRunning()
      if (entry) {
        clearTimeout(entry.timer)
        entry.reject(error)
      }
      dispatch()
    }
    fresh.on('error', lost)
    fresh.on('exit', () => lost(new Error('strength worker exited')))
    worker = fresh
    return fresh
  }

  function finishRunning(): void {
    running = undefined
    clearTimeout(stuckTimer)
  }

  function dispatch(): void {
    if (running || closed) return
    const entry = waiting.shift()
    if (!entry) {
      if (!worker) return
      worker.unref()
      clearTimeout(idleTimer)
      idleTimer = setTimeout(stop, IDLE_MS)
      idleTimer.unref()
      return
    }
    clearTimeout(idleTimer)
    running = entry
    const current = started()
    current.ref()
    current.postMessage(entry.job)
    stuckTimer = setTimeout(() => {
      if (running === entry) stop()
    }, stuckMs)
    // Its wait is over: the first check after a quiet minute also starts the worker and loads the
    // dictionaries, which a loaded machine may take longer than the deadline to do.
    clearTimeout(entry.timer)
  }

  function stop(): void {
    const current = worker
    worker = undefined
    const entry = running
    finishRunning()
    entry?.reject(new OverloadedError('The password check'))
    current?.terminate()
    dispatch()
  }

  /* Past its deadline a waiting check is dropped without running. */
  function expire(entry: Entry): void {
    const at = waiting.indexOf(entry)
    if (at >= 0) waiting.splice(at, 1)
    entry.reject(new OverloadedError('The password check'))
  }

  return {
    weakPasswordReason(password, related) {
      if (closed) return Promise.reject(new Error('strength check closed'))
      if (waiting.length >= MAX_WAITING) return Promise.reject(new OverloadedError('The password check'))
      const job: StrengthJob = {
        id: nextId++,
        password: password.slice(0, STRENGTH_MAX_LENGTH),
        related: related.map((value) => value.slice(0, 254)),
      }
      return new Promise((resolve, reject) => {
        const entry: Entry = { job, resolve, reject, timer: setTimeout(() => expire(entry), deadlineMs) }
        waiting.push(entry)
        dispatch()
      })
    },
    async close() {
      closed = true
      clearTimeout(idleTimer)
      clearTimeout(stuckTimer)
      const error = new Error('strength check closed')
      for (const entry of [...waiting.splice(0), ...(running ? [running] : [])]) {
        clearTimeout(entry.timer)
        entry.reject(error)
      }
      running = undefined
      await worker?.terminate()
      worker = undefined
    },
  }
}
