import { describe, expect, test } from 'bun:test'
import { FailureTiming } from '../src/auth/failure-timing.ts'

describe('the failed-login floor', () => {
  test('is the slowest recent run of any cost: fast runs of one cost never push out a slower cost', () => {
    let now = 0
    const timing = new FailureTiming(() => now)
    timing.record(10, 60)
    for (let i = 0; i < 100; i++) timing.record(4, 2)
    expect(timing.floor()).toBe(60)
    now += 60_000
    expect(timing.floor()).toBe(60)
  })

  test("a rarely seen cost's slow outlier counts only while recent; after ten minutes its median does", () => {
    let now = 0
    const timing = new FailureTiming(() => now)
    for (let i = 0; i < 5; i++) timing.record(10, 60)
    timing.record(10, 900)
    timing.record(4, 2)
    expect(timing.floor()).toBe(900)
    now += 10 * 60_000 + 1
    timing.record(4, 2)
    expect(timing.floor()).toBe(60)
  })

  test('the current cost follows load: its window keeps the last 32 runs', () => {
    const timing = new FailureTiming(() => 0)
    timing.record(12, 400)
    for (let i = 0; i < 32; i++) timing.record(12, 250)
    expect(timing.floor()).toBe(250)
  })
})
