import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { MailBudget } from '../src/recovery/mail-budget.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'

let t: TestApp

beforeAll(async () => {
  t = await createTestApp('mailbudget')
})
afterAll(() => t.cleanup())

describe('the mail budget of an address', () => {
  test('3 mails an hour; a request asking again (its job retried) gets its first answer and is not counted twice', async () => {
    const budget = new MailBudget(t.services.redis, { prefix: t.config.redis.prefix })
    const address = 'pseudonym-of-an-address'
    expect(await budget.spend('reset', address, 'request-1')).toBe(true)
    expect(await budget.spend('reset', address, 'request-2')).toBe(true)
    // The job of request 2 failed after spending, and runs again, twice.
    expect(await budget.spend('reset', address, 'request-2')).toBe(true)
    expect(await budget.spend('reset', address, 'request-2')).toBe(true)
    expect(await budget.spend('reset', address, 'request-3')).toBe(true)
    expect(await budget.spend('reset', address, 'request-4')).toBe(false)
    // A refused request stays refused when it runs again.
    expect(await budget.spend('reset', address, 'request-4')).toBe(false)
    // Without a receipt (a mail asked for in the request itself), each call counts.
    expect(await budget.spend('verify', address)).toBe(true)
    expect(await budget.spend('verify', address)).toBe(true)
    expect(await budget.spend('verify', address)).toBe(true)
    expect(await budget.spend('verify', address)).toBe(false)
    // Every key it wrote expires with the window.
    const keys = await t.keys()
    const ours = keys.filter((key) => key.includes('mb:'))
    expect(ours.length).toBeGreaterThan(0)
    for (const key of ours) expect(await t.redis.pttl(key)).toBeGreaterThan(0)
  })
})
