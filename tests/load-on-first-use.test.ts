import { expect, test } from 'bun:test'
import { resolve } from 'node:path'

const ROOT = resolve(import.meta.dir, '..')

/*
 * Libraries most processes use rarely or never are loaded on first use, to
 * keep memory at rest low (the bench's "RSS at rest" figure): zxcvbn and its
 * dictionaries (in the strength worker only), nodemailer (with the first mail)
 * and @simplewebauthn/server (with the first passkey ceremony). One static
 * import anywhere in the server's module graph would load them at startup.
 */
test('the server loads zxcvbn, nodemailer and @simplewebauthn/server only when first used', () => {
  // A fresh process: this one has loaded whatever other tests imported.
  const script = `
    await import('./src/boot.ts')
    await import('./src/deps.ts')
    await import('./src/app.ts')
    console.log(JSON.stringify(Object.keys(require.cache)))
  `
  const child = Bun.spawnSync([process.execPath, '-e', script], { cwd: ROOT, env: { ...process.env } })
  expect(child.exitCode).toBe(0)
  const loaded = JSON.parse(child.stdout.toString()) as string[]
  // The module list does include ES modules such as the app's own.
  expect(loaded.some((path) => path.endsWith('/src/app.ts'))).toBe(true)
  expect(loaded.filter((path) => /\/node_modules\/(@zxcvbn-ts|nodemailer|@simplewebauthn)\//.test(path))).toEqual([])
})
