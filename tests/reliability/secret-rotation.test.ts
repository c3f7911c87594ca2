import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import type { Hono } from 'hono'
import { panelOf, TestBrowser } from '../support/browser.ts'
import { verificationLinkFrom } from '../support/outbox.ts'
import { freePort } from '../support/redis-server.ts'
import { type ServerProcess, startServerProcess } from '../support/server-process.ts'
import { dropIsolation, isolation, redisEnv, SERVER_URL } from '../support/test-app.ts'

// Instances restart several times in here.
setDefaultTimeout(90_000)

/*
 * A rolling deploy of a new SESSION_SECRET with two real instances behind a
 * round-robin balancer: at every moment one instance may run the previous
 * step's list and the other the next one's. The three steps of the README
 * (old,new → new,old → new) keep every user logged in and every form working;
 * the two steps it used to give (new,old → new) do not.
 */
const OLD = 'old-secret-7f3kQ9zLw2Xr8VbN1mT5yH0cJ4dG6sPa'
const NEW = 'new-secret-Qe8Rt2Yu6Io0Pa4Sd9Fg3Hj7Kl1Zx5Cv'
const { prefix, database } = isolation('rotation')
const EMAIL = 'rotating@example.com'
const PASSWORD = 'quartz lanterns drift over harbour'

const instances: Record<'a' | 'b', { port: number; server?: ServerProcess }> = {
  a: { port: 0 },
  b: { port: 0 },
}

async function deploy(name: 'a' | 'b', secrets: string): Promise<void> {
  const instance = instances[name]
  await instance.server?.kill()
  instance.server = startServerProcess(instance.port, {
    REDIS_PREFIX: prefix,
    DATABASE_URL: `${SERVER_URL}/${database}`,
    SESSION_SECRET: secrets,
    ...redisEnv(),
  })
  await instance.server.waitUntilReady(30_000)
}

/** One browser whose requests a round-robin balancer sends to a, b, a, b, … */
function balancedBrowser() {
  let turn = 0
  return new TestBrowser({
    request: ((path: string, init?: RequestInit) => {
      const instance = turn++ % 2 === 0 ? instances.a : instances.b
      return fetch(instance.server!.url + path, { ...init, redirect: 'manual' })
    }) as Hono['request'],
  })
}

async function logIn(): Promise<TestBrowser> {
  const browser = balancedBrowser()
  await browser.get('/login')
  const { response } = await browser.post('/login', { email: EMAIL, password: PASSWORD })
  expect(response.status).toBe(303)
  return browser
}

/** Four page views and four pours, alternating instances: each must see the user and accept the form. */
async function expectStillIn(browser: TestBrowser): Promise<void> {
  for (let i = 0; i < 4; i++) {
    const { html } = await browser.get('/')
    expect(panelOf(html).email).toBe(EMAIL)
    const pour = await browser.post('/beer', {}, { htmx: true })
    expect(pour.response.status).toBe(200)
  }
}

beforeAll(async () => {
  instances.a.port = await freePort()
  instances.b.port = await freePort()
  await Promise.all([deploy('a', OLD), deploy('b', OLD)])
  const browser = balancedBrowser()
  await browser.get('/signup')
  const signup = await browser.post('/signup', { email: EMAIL, password: PASSWORD, password_confirm: PASSWORD })
  expect(signup.response.status).toBe(200)
  const link = await verificationLinkFrom([instances.a.server!.url, instances.b.server!.url])
  expect((await browser.get(link)).response.status).toBe(303)
})

afterAll(async () => {
  await Promise.all([instances.a.server?.kill(), instances.b.server?.kill()])
  await dropIsolation({ prefix, database })
})

describe('rotating SESSION_SECRET in a rolling deploy', () => {
  test('old,new then new,old then new: users logged in at every step stay logged in on both instances', async () => {
    const fromOld = await logIn()

    // Step 1: every instance learns to accept the new secret before any signs with it.
    await deploy('b', `${OLD},${NEW}`)
    await expectStillIn(fromOld)
    const duringStep1 = await logIn()
    await deploy('a', `${OLD},${NEW}`)
    await expectStillIn(fromOld)
    await expectStillIn(duringStep1)

    // Step 2: sign with the new one; the instance not yet deployed already accepts it.
    await deploy('b', `${NEW},${OLD}`)
    const duringStep2 = await logIn()
    for (const browser of [fromOld, duringStep1, duringStep2]) await expectStillIn(browser)
    await deploy('a', `${NEW},${OLD}`)
    const afterStep2 = await logIn()
    for (const browser of [fromOld, duringStep1, duringStep2, afterStep2]) await expectStillIn(browser)

    // Step 3, once every cookie signed with the old secret has expired
    // (SESSION_ABSOLUTE_SECONDS after step 2): sessions made since carry on.
    await deploy('b', NEW)
    await expectStillIn(afterStep2)
    await deploy('a', NEW)
    await expectStillIn(afterStep2)
    // What waiting out SESSION_ABSOLUTE_SECONDS is for: a cookie signed with the old secret no longer counts.
    expect(panelOf((await fromOld.get('/')).html).email).toBeUndefined()
  })

  test('the two steps the README used to give (new,old while the other runs old) log users out', async () => {
    await Promise.all([deploy('a', OLD), deploy('b', OLD)])
    await deploy('b', `${NEW},${OLD}`)
    // Sent where the test says, not round robin: the claim is about which instance reads which cookie.
    let target: 'a' | 'b' = 'b'
    const browser = new TestBrowser({
      request: ((path: string, init?: RequestInit) =>
        fetch(instances[target].server!.url + path, { ...init, redirect: 'manual' })) as Hono['request'],
    })
    await browser.get('/login')
    const { response } = await browser.post('/login', { email: EMAIL, password: PASSWORD })
    expect(response.status).toBe(303)
    expect(panelOf((await browser.get('/')).html).email).toBe(EMAIL)
    // The instance still on the old secret cannot read a cookie signed with the new one: logged out there.
    target = 'a'
    expect(panelOf((await browser.get('/')).html).email).toBeUndefined()
  })
})
