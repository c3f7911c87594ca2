import { describe, expect, test } from 'bun:test'
import { CredentialGate } from '../src/auth/credential-gate.ts'
import { OverloadedError } from '../src/auth/overloaded.ts'

/** Runs `client` through the gate, telling when it was judged (ms since `since`) and whether it was let in. */
async function judged(gate: CredentialGate, client: string, since: number) {
  try {
    await gate.run(async () => {}, { client })
    return { at: performance.now() - since, admitted: true }
  } catch (error) {
    if (!(error instanceof OverloadedError)) throw error
    return { at: performance.now() - since, admitted: false }
  }
}

/**
 * A gate of one slot (Retry-After 1 s) with the slot taken, and `count`
 * clients it has just refused; `free()` gives the slot back.
 */
async function fullGateThatRefused(count: number, { maxHeld }: { maxHeld?: number } = {}) {
  const gate = new CredentialGate(1, { retryAfterSeconds: 1, maxHeld })
  const { promise: busy, resolve } = Promise.withResolvers<void>()
  const holder = gate.run(() => busy)
  const clients = Array.from({ length: count }, (_, i) => `client-${i}`)
  const refused = await Promise.all(clients.map((client) => judged(gate, client, 0)))
  expect(refused.every(({ admitted }) => !admitted)).toBe(true)
  const free = async () => {
    resolve()
    await holder
  }
  return { gate, clients, free }
}

/** The clients back all at once: when each was judged, in ms from then. */
function backAtOnce(gate: CredentialGate, clients: string[]) {
  const back = performance.now()
  return Promise.all(clients.map((client) => judged(gate, client, back)))
}

describe('CredentialGate', () => {
  test('clients refused together and back at once are held past Retry-After, and judged spread over the half after it', async () => {
    const { gate, clients, free } = await fullGateThatRefused(200)
    // Every client comes straight back, as a flood that ignores Retry-After does.
    const again = await backAtOnce(gate, clients)
    await free()

    const times = again.map(({ at }) => at).sort((a, b) => a - b)
    expect(again.every(({ admitted }) => !admitted)).toBe(true)
    expect(times[0]!).toBeGreaterThanOrEqual(990)
    expect(times.at(-1)!).toBeLessThan(1500 + 250)
    // Held for exactly Retry-After they all came back within a few milliseconds of each other,
    // and slots freed between such bursts stayed empty.
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(300)
    const busiestTenth = Math.max(
      ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(
        (tenth) => times.filter((at) => at >= 1000 + tenth * 50 && at < 1000 + (tenth + 1) * 50).length,
      ),
    )
    expect(busiestTenth).toBeLessThan(clients.length * 0.25)
  })

  test('held clients are let in once their hold is over, when a slot is free', async () => {
    const { gate, clients, free } = await fullGateThatRefused(20)
    const again = backAtOnce(gate, clients)
    await free()
    const results = await again
    // The slot is free from the start: every held client is let in once its hold is over.
    expect(results.every(({ admitted }) => admitted)).toBe(true)
    expect(Math.min(...results.map(({ at }) => at))).toBeGreaterThanOrEqual(990)
    expect(gate.inFlight).toBe(0)
  })

  test('a client that honours Retry-After is judged at once, not held', async () => {
    const { gate, clients, free } = await fullGateThatRefused(20)
    await Bun.sleep(1050)
    const again = await backAtOnce(gate, clients)
    await free()
    expect(again.every(({ admitted }) => !admitted)).toBe(true)
    expect(Math.max(...again.map(({ at }) => at))).toBeLessThan(100)
  })

  test('beyond the bound on requests held at once, an early one is judged at once', async () => {
    const { gate, clients, free } = await fullGateThatRefused(20, { maxHeld: 5 })
    // One client sending many requests at once is held as often as many clients are.
    const again = await backAtOnce(gate, [...clients, ...clients])
    await free()
    expect(again.every(({ admitted }) => !admitted)).toBe(true)
    expect(again.filter(({ at }) => at >= 990)).toHaveLength(5)
    expect(again.filter(({ at }) => at < 100)).toHaveLength(35)
  })
})
