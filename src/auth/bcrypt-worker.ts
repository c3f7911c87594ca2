import { setPriority } from 'node:os'
import { parentPort } from 'node:worker_threads'
import bcrypt from 'bcryptjs'

export type BcryptJob =
  | { id: number; op: 'hash'; password: string; cost: number }
  | { id: number; op: 'compare'; password: string; hash: string }

/** `workMs`: how long bcrypt itself took, without the wait in the queue. */
export type BcryptReply =
  | { id: number; ok: true; value: string | boolean; workMs: number }
  | { id: number; ok: false; error: string }

/*
 * A login costs hundreds of milliseconds of CPU here; the event loop answers a
 * page view in tens of microseconds. At a lower priority the workers yield the
 * core whenever the event loop has work, so a burst of logins slows down other
 * logins, not everyone's page views. Only on Linux does this apply to the
 * calling thread alone (elsewhere it would lower the whole process).
 */
if (process.platform === 'linux') {
  try {
    setPriority(10)
  } catch {
    // Keeping the default priority is harmless: only page latency under a login burst suffers.
  }
}

parentPort?.on('message', async (job: BcryptJob) => {
  const started = performance.now()
  try {
    const value =
      job.op === 'hash' ? await bcrypt.hash(job.password, job.cost) : await bcrypt.compare(job.password, job.hash)
    const workMs = performance.now() - started
    parentPort!.postMessage({ id: job.id, ok: true, value, workMs } satisfies BcryptReply)
  } catch (error) {
    parentPort!.postMessage({ id: job.id, ok: false, error: (error as Error).message } satisfies BcryptReply)
  }
})
