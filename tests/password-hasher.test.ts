import { describe, expect, test } from 'bun:test'
import bcrypt from 'bcryptjs'
import { OverloadedError } from '../src/auth/overloaded.ts'
import { createPasswordHasher } from '../src/auth/password-hasher.ts'
import { WORKER_URL } from './support/test-app.ts'

const SILENT_WORKER = new URL('./support/silent-worker.ts', import.meta.url)
/* Cost 12 keeps a worker busy for a few hundred milliseconds: long enough to queue behind it. */
const SLOW_HASH = bcrypt.hashSync('slow', 12)

describe('the bcrypt worker pool', () => {
  test('beyond its queue bound a job is refused at once with OverloadedError, not after a wait', async () => {
    // A deadline far off: on a busy machine the three jobs may take seconds, which is not what this tests.
    const hasher = createPasswordHasher({
      cost: 4,
      workerUrl: WORKER_URL,
      workers: 1,
      maxQueued: 2,
      deadlineMs: 60_000,
    })
    try {
      const busy = hasher.verify('x', SLOW_HASH)
      const queued = [hasher.verify('x', SLOW_HASH), hasher.verify('x', SLOW_HASH)]
      expect(hasher.queued).toBe(2)
      const started = performance.now()
      const refused = await hasher.verify('x', SLOW_HASH).catch((error) => error)
      expect(refused).toBeInstanceOf(OverloadedError)
      expect(performance.now() - started).toBeLessThan(50)
      expect(await Promise.all([busy, ...queued])).toEqual([false, false, false])
    } finally {
      await hasher.close()
    }
  })

  test('a waiting job whose request was abandoned is dropped and never runs', async () => {
    const hasher = createPasswordHasher({ cost: 4, workerUrl: WORKER_URL, workers: 1, deadlineMs: 60_000 })
    try {
      await hasher.verify('x', SLOW_HASH)
      const busy = hasher.verifyTimed('x', SLOW_HASH)
      const client = new AbortController()
      const abandoned = Array.from({ length: 5 }, () =>
        hasher.verify('x', SLOW_HASH, { signal: client.signal }).catch((error) => error),
      )
      expect(hasher.queued).toBe(5)
      client.abort()
      expect(hasher.queued).toBe(0)
      for (const result of await Promise.all(abandoned)) expect((result as Error).name).toBe('AbortError')
      // The next job waits for the one running only, not for five abandoned ones:
      // measured against the work the two jobs took in the same moments, so a
      // busy machine slows both sides alike.
      const started = performance.now()
      const next = await hasher.verifyTimed('slow', SLOW_HASH)
      const elapsed = performance.now() - started
      expect(next.matches).toBe(true)
      const { workMs: busyWork } = await busy
      expect(elapsed).toBeLessThan(busyWork + 3 * next.workMs)
      // An already-aborted signal is refused without queueing.
      await expect(hasher.verify('x', SLOW_HASH, { signal: AbortSignal.abort() })).rejects.toThrow()
      expect(hasher.queued).toBe(0)
    } finally {
      await hasher.close()
    }
  })

  test('a job still waiting at its deadline fails with OverloadedError; a running one is left to finish', async () => {
    const hasher = createPasswordHasher({ cost: 4, workerUrl: WORKER_URL, workers: 1, deadlineMs: 100 })
    try {
      const started = performance.now()
      const running = hasher.verify('slow', SLOW_HASH).then((matches) => ({ matches, at: performance.now() - started }))
      const waiting = hasher.verify('x', SLOW_HASH).catch((error) => ({ error, at: performance.now() - started }))
      const refused = (await waiting) as { error: unknown; at: number }
      expect(refused.error).toBeInstanceOf(OverloadedError)
      // The running job, past the same deadline, still finished with its answer, after the waiting one was refused.
      const done = await running
      expect(done.matches).toBe(true)
      expect(refused.at).toBeLessThan(done.at)
      // The worker was not replaced and takes the next job.
      expect(await bcrypt.compare('after', await hasher.hash('after'))).toBe(true)
    } finally {
      await hasher.close()
    }
  })

  test('a job running far past its deadline is answered busy, and its stuck worker is replaced', async () => {
    const hasher = createPasswordHasher({
      cost: 4,
      workerUrl: SILENT_WORKER,
      workers: 1,
      deadlineMs: 100,
      stuckMs: 200,
    })
    try {
      const started = performance.now()
      const refused = await hasher.verify('x', SLOW_HASH).catch((error) => error)
      const elapsed = performance.now() - started
      expect(refused).toBeInstanceOf(OverloadedError)
      // Deadline plus stuck time, not the request's whole life.
      expect(elapsed).toBeGreaterThanOrEqual(290)
      expect(hasher.threads).toBe(0)
      const next = hasher.verify('y', SLOW_HASH).catch((error) => error)
      expect(hasher.threads).toBe(1)
      expect(await next).toBeInstanceOf(OverloadedError)
    } finally {
      await hasher.close()
    }
  })

  test('workers start as jobs need them, and one beyond the first exits once idle', async () => {
    const hasher = createPasswordHasher({ cost: 4, workerUrl: WORKER_URL, workers: 3, idleMs: 200, deadlineMs: 60_000 })
    try {
      expect(hasher.threads).toBe(0)
      // Jobs one after another need one worker.
      expect(await hasher.verify('slow', SLOW_HASH)).toBe(true)
      expect(await hasher.verify('x', SLOW_HASH)).toBe(false)
      expect(hasher.threads).toBe(1)
      // Two at once need a second, not a third (counted as they start: an idle one may leave before both end).
      const pair = [hasher.verify('slow', SLOW_HASH), hasher.verify('x', SLOW_HASH)]
      expect(hasher.threads).toBe(2)
      expect(await Promise.all(pair)).toEqual([true, false])
      // The second exits when idle; the first stays for the next login.
      const deadline = Date.now() + 5000
      while (hasher.threads > 1 && Date.now() < deadline) await Bun.sleep(20)
      await Bun.sleep(400)
      expect(hasher.threads).toBe(1)
      const again = [hasher.verify('slow', SLOW_HASH), hasher.verify('x', SLOW_HASH)]
      expect(hasher.threads).toBe(2)
      expect(await Promise.all(again)).toEqual([true, false])
    } finally {
      await hasher.close()
    }
  })
})
