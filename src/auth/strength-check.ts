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

type Pending = {
  resolve: (reason: string | null) => void
  reject: (error: Error) => void
  timer: ReturnType<typeof setTimeout>
}

/*
 * A check takes at most a few milliseconds (input cut to 32 characters); more
 * than this many waiting means a flood, which is refused rather than queued.
 */
const MAX_PENDING = 32
const DEADLINE_MS = 2000
/* The worker and its ~17 MB of dictionaries go away when nobody has signed up for a while. */
const IDLE_MS = 60_000

/**
 * zxcvbn in one worker thread, started on first use and stopped when idle, so
 * the dictionaries cost no memory at rest and no check can stall the event loop.
 */
export function createStrengthCheck({
  workerUrl,
  deadlineMs = DEADLINE_MS,
}: {
  workerUrl: URL
  /** How long one check may take before its worker counts as stuck. */
  deadlineMs?: number
}): StrengthCheck {
  let worker: Worker | undefined
  let idleTimer: ReturnType<typeof setTimeout> | undefined
  const pending = new Map<number, Pending>()
  let nextId = 1
  let closed = false

  function settle(id: number): Pending | undefined {
    const job = pending.get(id)
    if (!job) return undefined
    pending.delete(id)
    clearTimeout(job.timer)
    if (pending.size === 0) {
      worker?.unref()
      scheduleIdleStop()
    }
    return job
  }

  function failAll(error: Error): void {
    for (const id of [...pending.keys()]) settle(id)?.reject(error)
  }

  function scheduleIdleStop(): void {
    clearTimeout(idleTimer)
    idleTimer = setTimeout(() => stop(), IDLE_MS)
    idleTimer.unref()
  }

  function stop(): Promise<number> | undefined {
    const current = worker
    worker = undefined
    return current?.terminate()
  }

  function started(): Worker {
    if (worker) return worker
    const fresh = new Worker(workerUrl)
    fresh.on('message', ({ id, reason }: StrengthReply) => settle(id)?.resolve(reason))
    // A worker stopped for overrunning leaves its jobs to their own deadlines.
    const lost = (error: Error) => {
      if (worker !== fresh) return
      worker = undefined
      failAll(error)
    }
    fresh.on('error', lost)
    fresh.on('exit', () => lost(new Error('strength worker exited')))
    worker = fresh
    return fresh
  }

  return {
    weakPasswordReason(password, related) {
      if (closed) return Promise.reject(new Error('strength check closed'))
      if (pending.size >= MAX_PENDING) return Promise.reject(new OverloadedError('The password check'))
      clearTimeout(idleTimer)
      const id = nextId++
      const job: StrengthJob = {
        id,
        password: password.slice(0, STRENGTH_MAX_LENGTH),
        related: related.map((value) => value.slice(0, 254)),
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          // A check that overruns its deadline by this much is stuck: a fresh worker takes over.
          settle(id)?.reject(new OverloadedError('The password check'))
          stop()
        }, deadlineMs)
        pending.set(id, { resolve, reject, timer })
        const current = started()
        current.ref()
        current.postMessage(job)
      })
    },
    async close() {
      closed = true
      clearTimeout(idleTimer)
      failAll(new Error('strength check closed'))
      await stop()
    },
  }
}
