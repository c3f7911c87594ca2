import { z } from 'zod'
import type { Beer } from './generator.ts'

/* The name lands in HTML and in logs: bounded, and no control characters. */
const label = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]+$/u)

const reply = z.object({ data: z.object({ name: label, style: label }) })

/**
 * A name source backed by a remote generator in the original tutorial's API
 * shape (`{status, data: {name, style}}`), each call bounded by `timeoutMs`
 * including the body. Network errors, timeouts, non-2xx replies, bad JSON and
 * bad shapes all answer with `fallback()` instead.
 */
export function createRemoteBeerSource(url: string, fallback: () => Beer, timeoutMs = 2000): () => Promise<Beer> {
  async function fetchBeer(): Promise<Beer | undefined> {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    })
    if (!response.ok) {
      await response.body?.cancel()
      return undefined
    }
    const parsed = reply.safeParse(await response.json())
    return parsed.success ? { name: parsed.data.data.name, style: parsed.data.data.style } : undefined
  }

  return async function remoteBeer(): Promise<Beer> {
    return (await fetchBeer().catch(() => undefined)) ?? fallback()
  }
}
