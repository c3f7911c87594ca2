import { z } from 'zod'
import type { Beer } from './generator.ts'

const reply = z.object({
  data: z.object({ name: z.string().trim().min(1).max(100), style: z.string().trim().min(1).max(100) }),
})

/**
 * A remote name generator in the original's API shape ({status, data: {name,
 * style}}), bounded by a timeout; whatever goes wrong, the local one answers.
 */
export function createRemoteBeerSource(url: string, fallback: () => Beer, timeoutMs = 2000): () => Promise<Beer> {
  return async function remoteBeer(): Promise<Beer> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } })
      if (!response.ok) return fallback()
      const parsed = reply.safeParse(await response.json())
      return parsed.success ? parsed.data.data : fallback()
    } catch {
      return fallback()
    }
  }
}
