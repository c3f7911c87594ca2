import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { SecretBox } from '../src/auth/secret-box.ts'
import { SecondFactorRepository } from '../src/db/second-factors.ts'
import { panelOf, TestBrowser } from './support/browser.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { codeAt, turnOnAuthenticatorApp } from './support/totp.ts'

const PASSWORD = 'correct horse battery'
const OLD_KEY = randomBytes(32)
const NEW_KEY = randomBytes(32)
const base64 = (...keys: Buffer[]) => keys.map((key) => key.toString('base64')).join(',')

/** The instance before the rotation, and the same deployment at its second step and after its third. */
let before: TestApp
let rotating: TestApp
let after: TestApp

beforeAll(async () => {
  before = await createTestApp('keyrotation', { DATA_ENCRYPTION_KEY: base64(OLD_KEY) })
  const shared = { DATABASE_URL: before.config.databaseUrl, REDIS_PREFIX: before.config.redis.prefix }
  rotating = await createTestApp('keyrotation2', { ...shared, DATA_ENCRYPTION_KEY: base64(NEW_KEY, OLD_KEY) })
  after = await createTestApp('keyrotation3', { ...shared, DATA_ENCRYPTION_KEY: base64(NEW_KEY) })
})
afterAll(async () => {
  // The database and keys are the first instance's: it cleans up last, even when another failed to start.
  await Promise.allSettled([after?.closeKeepingKeys(), rotating?.closeKeepingKeys()])
  await before?.cleanup()
})

const sealedSecretOf = async (userId: string) =>
  (await new SecondFactorRepository(before.services.database.db).totpFor(userId))!.secretSealed

let counter = 0
/** A user who turned the app on before the rotation. */
async function enrolledBefore() {
  const user = await before.services.users.create(
    `rotation${++counter}@example.com`,
    await before.services.hasher.hash(PASSWORD),
    { verifiedAt: new Date() },
  )
  return { user, ...(await turnOnAuthenticatorApp(before.services.deps.secondFactors, user.id)) }
}

/** Password, then the second step with `code`, on `app`; the answer to the second step. */
async function signIn(app: TestApp, email: string, code: string) {
  app.setSocketAddress(`10.11.0.${counter}`)
  const browser = new TestBrowser(app.app)
  await browser.get('/login')
  const password = await browser.post('/login', { email, password: PASSWORD })
  expect(password.response.headers.get('location')).toBe('/login/verify')
  await browser.get('/login/verify')
  const { response } = await browser.post('/login/verify', { code })
  const sessionId = panelOf((await browser.get('/')).html).sessionId!
  return { response, sessionId, browser }
}

describe('DATA_ENCRYPTION_KEY rotated on a running deployment', () => {
  test('at step 2 an app enrolled before signs in; its secret moves to the new key, so step 3 signs it in too', async () => {
    const { user, secret } = await enrolledBefore()
    const now = Date.now()
    const rotated = await signIn(rotating, user.email, codeAt(secret, now))
    expect(rotated.response.status).toBe(303)
    expect(rotated.response.headers.get('location')).toBe('/')
    expect((await before.redis.hgetall(await before.sessionKey(rotated.sessionId))).k).toBe('password+app')
    expect(new SecretBox([NEW_KEY]).open(await sealedSecretOf(user.id), user.id)).toBe(secret)

    const later = await signIn(after, user.email, codeAt(secret, now + 30_000))
    expect(later.response.headers.get('location')).toBe('/')
  })

  test('at step 2 a recovery code made before works; after step 3 the codes made before no longer do', async () => {
    const { user, recoveryCodes } = await enrolledBefore()
    const rotated = await signIn(rotating, user.email, recoveryCodes[0]!)
    expect(rotated.response.headers.get('location')).toBe('/')
    const dropped = await signIn(after, user.email, recoveryCodes[1]!)
    expect(dropped.response.status).toBe(401)
    // The code itself is still good where the old key is listed; new codes work after step 3.
    expect((await signIn(rotating, user.email, recoveryCodes[1]!)).response.headers.get('location')).toBe('/')
    const fresh = await rotating.services.deps.secondFactors.regenerateRecoveryCodes(user.id)
    expect((await signIn(after, user.email, fresh[0]!)).response.headers.get('location')).toBe('/')
  })

  test('a secret still under the dropped key fails the second step with a 500 and a log line naming the failure', async () => {
    const { user, secret } = await enrolledBefore()
    const errors = after.errors.length
    const { response } = await signIn(after, user.email, codeAt(secret, Date.now()))
    expect(response.status).toBe(500)
    const logged = after.errors.slice(errors)
    expect(logged.some((line) => line.includes('opens under no key given'))).toBe(true)
    expect(logged.join('\n')).not.toContain(await sealedSecretOf(user.id))
  })
})
