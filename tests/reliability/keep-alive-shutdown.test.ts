import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { type ServerProcess, startServerOnOwnRedis } from '../support/server-process.ts'

setDefaultTimeout(30_000)

let server: ServerProcess
let stop: (() => Promise<void>) | undefined

beforeAll(async () => {
  ;({ server, stop } = await startServerOnOwnRedis('keepalive'))
})
afterAll(() => stop?.())

type Outcome = { before: number; closed: boolean; error?: string }

/**
 * A keep-alive client (fetch reuses its connections) that asks for pages until
 * an answer says Connection: close, when it would go to another instance.
 */
async function client(stop: () => boolean): Promise<Outcome> {
  const outcome: Outcome = { before: 0, closed: false }
  for (let i = 0; i < 10_000 && !stop(); i++) {
    try {
      const response = await fetch(`${server.url}/healthz`)
      await response.text()
      if (response.headers.get('connection') === 'close') {
        outcome.closed = true
        return outcome
      }
      outcome.before++
    } catch (error) {
      outcome.error = (error as { code?: string }).code ?? String(error)
      return outcome
    }
  }
  return outcome
}

describe('SIGTERM under keep-alive load', () => {
  test('each of 20 keep-alive clients is told Connection: close and none sees its connection reset or refused', async () => {
    let stopped = false
    const clients = Array.from({ length: 20 }, () => client(() => stopped))
    await new Promise((resolve) => setTimeout(resolve, 300))
    server.child.kill('SIGTERM')
    await server.waitForOutput(/SIGTERM received/)
    const ready = await fetch(`${server.url}/readyz`)
    expect(ready.status).toBe(503)
    expect(ready.headers.get('connection')).toBe('close')
    expect(await ready.json()).toEqual({ status: 'shutting down' })

    const outcomes = await Promise.race([
      Promise.all(clients),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('clients still running')), 10_000)),
    ]).finally(() => {
      stopped = true
    })
    expect(outcomes.filter((outcome) => outcome.error)).toEqual([])
    expect(outcomes.every((outcome) => outcome.closed && outcome.before > 0)).toBe(true)
    expect(await server.child.exited).toBe(0)
  })
})
