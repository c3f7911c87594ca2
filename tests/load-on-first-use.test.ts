import { expect, test } from 'bun:test'
import { resolve } from 'node:path'

const ROOT = resolve(import.meta.dir, '..')

/** Runs `script` in a fresh process (this one has loaded whatever other tests imported) and returns its last line, parsed. */
function inFreshProcess<T>(script: string): T {
  const child = Bun.spawnSync([process.execPath, '-e', script], { cwd: ROOT, env: { ...process.env } })
  if (child.exitCode !== 0) throw new Error(child.stderr.toString())
  return JSON.parse(child.stdout.toString().trim().split('\n').at(-1)!) as T
}

const RARELY_USED = /\/node_modules\/(@zxcvbn-ts|nodemailer|@simplewebauthn|bullmq)\//

/*
 * Libraries most processes use rarely or never are loaded on first use, to
 * keep memory at rest low (the bench's "RSS at rest" figure): zxcvbn and its
 * dictionaries (in the strength worker only), nodemailer (with the first mail),
 * @simplewebauthn/server (with the first passkey ceremony) and BullMQ (with the
 * first queued job). One static import anywhere in the server's module graph
 * would load them at startup.
 */
test('the server loads zxcvbn, nodemailer, @simplewebauthn/server and BullMQ only when first used', () => {
  const loaded = inFreshProcess<string[]>(`
    await import('./src/boot.ts')
    await import('./src/deps.ts')
    await import('./src/app.ts')
    console.log(JSON.stringify(Object.keys(require.cache)))
  `)
  // The module list does include ES modules such as the app's own.
  expect(loaded.some((path) => path.endsWith('/src/app.ts'))).toBe(true)
  expect(loaded.filter((path) => RARELY_USED.test(path))).toEqual([])
})

test('a started app with no mail queued has not loaded BullMQ; its first mail loads it and is delivered', () => {
  const { atRest, working, afterMail, delivered } = inFreshProcess<Record<string, number | boolean>>(`
    const { createTestApp } = await import('./tests/support/test-app.ts')
    const { composeMail } = await import('./src/mail/message.ts')
    const bullmq = () => Object.keys(require.cache).filter((path) => path.includes('/node_modules/bullmq/')).length
    const t = await createTestApp('lazymail')
    const atRest = bullmq()
    const working = t.services.mail.queue.working
    await t.services.mail.queue.send(composeMail('lazy@example.com', 'Lazy', ['Hello.']))
    for (let i = 0; i < 500 && t.services.deps.outbox.list().length === 0; i++) await Bun.sleep(10)
    const delivered = t.services.deps.outbox.list().length
    const afterMail = bullmq()
    await t.cleanup()
    console.log(JSON.stringify({ atRest, working, afterMail, delivered }))
  `)
  expect({ atRest, working }).toEqual({ atRest: 0, working: false })
  expect(afterMail).toBeGreaterThan(0)
  expect(delivered).toBe(1)
})
