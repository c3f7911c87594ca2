import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import bcrypt from 'bcryptjs'
import type { BcryptJob, BcryptReply } from './bcrypt-worker.ts'

type Pending = { resolve: (value: string | boolean) => void; reject: (error: Error) => void }
type Job = BcryptJob extends infer J ? (J extends { id: number } ? Omit<J, 'id'> : never) : never

export interface PasswordHasher {
  hash(password: string): Promise<string>
  verify(password: string, hash: string): Promise<boolean>
  /** The cost factor of a stored hash, to re-hash those below the configured cost. */
  costOf(hash: string): number
  readonly cost: number
  close(): Promise<void>
}

/**
 * bcrypt on a small pool of worker threads, one per core by default: a login
 * costs hundreds of milliseconds of CPU, which must not stall the event loop
 * that serves everyone else's page views.
 */
export function createPasswordHasher({
  cost,
  workerUrl,
  workers = availableParallelism(),
}: {
  cost: number
  workerUrl: URL
  workers?: number
}): PasswordHasher {
  const size = Math.max(1, workers)
  const pool: Worker[] = []
  const jobsOf: Map<number, Pending>[] = []
  let nextId = 1

  function start(index: number): void {
    const worker = new Worker(workerUrl)
    // Idle workers must not keep a finished process alive.
    worker.unref()
    const jobs = new Map()
    jobsOf[index] = jobs
    worker.on('message', (reply: BcryptReply) => {
      const job = jobs.get(reply.id)
      jobs.delete(reply.id)
      if (jobs.size === 0) worker.unref()
      if (!job) return
      if (reply.ok) job.resolve(reply.value)
      else job.reject(new Error(reply.error))
    })
    // A worker that dies takes only its own jobs with it; a fresh one replaces it.
    worker.on('error', (error) => {
      for (const job of jobs.values()) job.reject(error)
      jobs.clear()
    })
    worker.on('exit', () => {
      if (closed) return
      for (const job of jobs.values()) job.reject(new Error('password worker exited'))
      start(index)
    })
    pool[index] = worker
  }
  let closed = false
  for (let i = 0; i < size; i++) start(i)

  function run(job: Job): Promise<string | boolean> {
    if (closed) return Promise.reject(new Error('password hasher closed'))
    const id = nextId++
    let index = 0
    for (let i = 1; i < size; i++) if (jobsOf[i]!.size < jobsOf[index]!.size) index = i
    return new Promise((resolve, reject) => {
      jobsOf[index]!.set(id, { resolve, reject })
      pool[index]!.ref()
      pool[index]!.postMessage({ ...job, id })
    })
  }

  return {
    cost,
    hash: async (password) => (await run({ op: 'hash', password, cost })) as string,
    verify: async (password, hash) => (await run({ op: 'compare', password, hash })) as boolean,
    costOf: (hash) => bcrypt.getRounds(hash),
    async close() {
      closed = true
      await Promise.all(pool.map((worker) => worker.terminate()))
      for (const jobs of jobsOf) {
        for (const job of jobs.values()) job.reject(new Error('password hasher closed'))
        jobs.clear()
      }
    },
  }
}
