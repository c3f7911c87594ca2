import { setPriority } from 'node:os'
import { parentPort } from 'node:worker_threads'
import { weakPasswordReason } from './password-policy.ts'

export type StrengthJob = { id: number; password: string; related: string[] }
export type StrengthReply = { id: number; reason: string | null }

/*
 * As for bcrypt (see bcrypt-worker.ts): at a lower priority this thread yields
 * the core whenever the event loop has page views to serve, so a flood of
 * sign-ups slows sign-ups, not everyone else. Linux applies it to this thread
 * alone.
 */
if (process.platform === 'linux') {
  try {
    setPriority(10)
  } catch {
    // Keeping the default priority is harmless: only page latency under a sign-up flood suffers.
  }
}

parentPort?.on('message', ({ id, password, related }: StrengthJob) => {
  parentPort!.postMessage({ id, reason: weakPasswordReason(password, related) } satisfies StrengthReply)
})
