import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import diagnostics from 'node:diagnostics_channel'
import '../src/tracing-channel.ts'
import { Redis } from 'ioredis'

describe("a TracingChannel's hasSubscribers", () => {
  test('is false until someone subscribes, and false again once they leave', () => {
    const channel = diagnostics.tracingChannel('taproom:test')
    expect(channel.hasSubscribers).toBe(false)
    const handlers = { asyncEnd() {} }
    channel.subscribe(handlers)
    expect(channel.hasSubscribers).toBe(true)
    channel.unsubscribe(handlers)
    expect(channel.hasSubscribers).toBe(false)
  })
})

describe('ioredis tracing', () => {
  let redis: Redis
  beforeAll(async () => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
    await redis.ping()
  })
  afterAll(() => redis.disconnect())

  test('still reaches a subscriber (an OpenTelemetry instrumentation), and only while it listens', async () => {
    const seen: string[] = []
    const handlers = { start: (context: object) => void seen.push(String((context as { command?: unknown }).command)) }
    diagnostics.tracingChannel('ioredis:command').subscribe(handlers)
    await redis.ping()
    diagnostics.tracingChannel('ioredis:command').unsubscribe(handlers)
    await redis.ping()
    expect(seen).toEqual(['ping'])
  })
})
