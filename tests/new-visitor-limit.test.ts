import { describe, expect, test } from 'bun:test'
import { clientNetwork } from '../src/auth/throttle.ts'
import { NewVisitorLimit } from '../src/session/new-visitor-limit.ts'

const admitted = (limit: NewVisitorLimit, network: string, times: number) =>
  Array.from({ length: times }, () => limit.admit(network)).filter(Boolean).length

describe('NewVisitorLimit', () => {
  test('a network gets its limit per minute, and again in the next minute', () => {
    let now = 0
    const limit = new NewVisitorLimit(3, () => now)
    expect(admitted(limit, '192.0.2.1', 5)).toBe(3)
    expect(admitted(limit, '192.0.2.2', 5)).toBe(3)
    now = 60_000
    expect(admitted(limit, '192.0.2.1', 5)).toBe(3)
  })

  test("an IPv6 site (/48) gets 16 times a network's limit, however many of its /64s ask", () => {
    const limit = new NewVisitorLimit(2, () => 0)
    let total = 0
    for (let i = 0; i < 100; i++) total += admitted(limit, clientNetwork(`2001:db8:1:${i.toString(16)}::1`), 3)
    expect(total).toBe(32)
    // Another site is counted on its own.
    expect(admitted(limit, clientNetwork('2001:db8:2::1'), 3)).toBe(2)
  })

  test('once a minute holds as many networks as it may track, new ones are refused, counted ones go on', () => {
    let now = 0
    const limit = new NewVisitorLimit(2, () => now, 3)
    for (const network of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) expect(limit.admit(network)).toBe(true)
    expect(limit.admit('192.0.2.4')).toBe(false)
    expect(limit.admit('192.0.2.1')).toBe(true)
    now = 60_000
    expect(limit.admit('192.0.2.4')).toBe(true)
  })
})
