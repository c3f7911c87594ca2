import bcrypt from 'bcryptjs'
import { parentPort } from 'node:worker_threads'

export type BcryptJob =
  | { id: number; op: 'hash'; password: string; cost: number }
  | { id: number; op: 'compare'; password: string; hash: string }

export type BcryptReply = { id: number; ok: true; value: string | boolean } | { id: number; ok: false; error: string }

parentPort?.on('message', async (job: BcryptJob) => {
  try {
    const value =
      job.op === 'hash' ? await bcrypt.hash(job.password, job.cost) : await bcrypt.compare(job.password, job.hash)
    parentPort!.postMessage({ id: job.id, ok: true, value } satisfies BcryptReply)
  } catch (error) {
    parentPort!.postMessage({ id: job.id, ok: false, error: (error as Error).message } satisfies BcryptReply)
  }
})
