import { parentPort } from 'node:worker_threads'
import { weakPasswordReason } from './password-policy.ts'

export type StrengthJob = { id: number; password: string; related: string[] }
export type StrengthReply = { id: number; reason: string | null }

parentPort?.on('message', ({ id, password, related }: StrengthJob) => {
  parentPort!.postMessage({ id, reason: weakPasswordReason(password, related) } satisfies StrengthReply)
})
