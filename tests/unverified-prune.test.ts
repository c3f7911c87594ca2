import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { TestBrowser } from './support/browser.ts'
import { type SmtpTestServer, startSmtpServer } from './support/smtp-server.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { waitUntil } from './support/wait-until.ts'

let t: TestApp
let smtp: SmtpTestServer
let clockOffset = 0
const PASSWORD = 'amber lantern 62 quay'
const DAY_MS = 24 * 60 * 60 * 1000

beforeAll(async () => {
  smtp = await startSmtpServer()
  t = await createTestApp(
    'unverifiedprune',
    { BCRYPT_COST: '4', SMTP_URL: smtp.url, APP_URL: 'http://taproom.test' },
    { now: () => Date.now() + clockOffset },
  )
})
afterAll(async () => {
  await t.cleanup()
  await smtp.close()
})

/** An account made `daysAgo` days ago, verified or not. */
async function accountMade(email: string, daysAgo: number, verified: boolean) {
  const made = new Date(Date.now() - daysAgo * DAY_MS)
  const user = await t.services.users.create(email, 'x'.repeat(60), { verifiedAt: verified ? made : null })
  await t.services.database.pool.query('UPDATE users SET created_at = ? WHERE id = ?', [made, user.id])
  return user
}

async function signUp(email: string): Promise<void> {
  const browser = new TestBrowser(t.app)
  await browser.get('/signup')
  const { response } = await browser.post('/signup', { email, password: PASSWORD, password_confirm: PASSWORD })
  expect(response.status).toBe(200)
}

const exists = async (id: string) => (await t.services.users.findById(id)) !== undefined
const mailTo = (email: string, subject: string) => smtp.waitFor((m) => m.to === email && m.subject === subject)

describe('sign-ups never verified', () => {
  test('go after a week, once a sign-up runs; the address is then free to sign up again', async () => {
    const squatted = await accountMade('squatted@example.com', 8, false)
    const recent = await accountMade('recent@example.com', 6, false)
    const verified = await accountMade('verified@example.com', 30, true)

    await signUp('first@example.com')
    await mailTo('first@example.com', 'Finish signing up to Taproom')
    await waitUntil(async () => !(await exists(squatted.id)))
    expect(await exists(recent.id)).toBe(true)
    expect(await exists(verified.id)).toBe(true)

    // The owner of the squatted address now gets a link of their own, not "someone tried to sign up".
    await signUp('squatted@example.com')
    const mail = await mailTo('squatted@example.com', 'Finish signing up to Taproom')
    expect(mail.text).toContain('http://taproom.test/verify-email/')

    // At most once an hour: a day later the next sign-up takes the one that has now passed its week.
    clockOffset = DAY_MS + 60_000
    await t.services.database.pool.query('UPDATE users SET created_at = ? WHERE id = ?', [
      new Date(Date.now() - 8 * DAY_MS),
      recent.id,
    ])
    await signUp('second@example.com')
    await mailTo('second@example.com', 'Finish signing up to Taproom')
    await waitUntil(async () => !(await exists(recent.id)))
    expect(await exists(verified.id)).toBe(true)
  })
})
