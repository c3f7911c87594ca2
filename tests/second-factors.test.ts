import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { normalizeRecoveryCode, RecoveryCodeHasher } from '../src/auth/recovery-codes.ts'
import { resealTotpSecrets } from '../src/auth/reseal.ts'
import { MAX_CONSECUTIVE_FAILURES, SecondFactors } from '../src/auth/second-factors.ts'
import { SecretBox } from '../src/auth/secret-box.ts'
import { SecondFactorRepository } from '../src/db/second-factors.ts'
import { createTestApp, type TestApp } from './support/test-app.ts'
import { codeAt } from './support/totp.ts'

let t: TestApp
const STEP_MS = 30_000
/* Mid-step, so ±1 step is unambiguous. */
const T0 = Math.floor(Date.now() / STEP_MS) * STEP_MS + 15_000

beforeAll(async () => {
  t = await createTestApp('secondfactors')
})
afterAll(() => t.cleanup())

const factors = () => t.services.deps.secondFactors
let counter = 0
const newUser = () =>
  t.services.users.create(`factors${++counter}@example.com`, 'x'.repeat(60), { verifiedAt: new Date() })

async function enrolled() {
  const user = await newUser()
  const secret = (await factors().startEnrolment(user.id))!
  const result = await factors().confirmEnrolment(user.id, codeAt(secret, T0), T0)
  if (!result.ok) throw new Error('enrolment failed')
  return { user, secret, recoveryCodes: result.recoveryCodes }
}

describe('authenticator app enrolment', () => {
  test('a 160-bit base32 secret, confirmed by a current code; then ten recovery codes', async () => {
    const user = await newUser()
    const secret = (await factors().startEnrolment(user.id))!
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    expect((await factors().status(user.id, T0)).totp).toBe('enrolling')
    expect(await factors().enrolment(user.id, T0)).toEqual({ state: 'live', secret })
    expect((await factors().summary(user.id)).totp).toBe(false)

    expect(await factors().confirmEnrolment(user.id, '000000', T0)).toEqual({ ok: false, reason: 'wrong' })
    expect(await factors().confirmEnrolment(user.id, codeAt(secret, T0 + 2 * STEP_MS), T0)).toEqual({
      ok: false,
      reason: 'wrong',
    })
    const result = await factors().confirmEnrolment(user.id, codeAt(secret, T0), T0)
    if (!result.ok) throw new Error(result.reason)
    expect(result.recoveryCodes).toHaveLength(10)
    expect(new Set(result.recoveryCodes).size).toBe(10)
    for (const code of result.recoveryCodes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$/)
    expect(await factors().status(user.id, T0)).toMatchObject({ totp: 'on', recoveryCodesLeft: 10 })
    expect((await factors().summary(user.id)).totp).toBe(true)
    expect(await factors().startEnrolment(user.id)).toBeNull()
    expect(await factors().enrolment(user.id, T0)).toEqual({ state: 'on' })
  })

  test('turns on only the key the code was checked against, not one a setup in another tab put in its place', async () => {
    const user = await newUser()
    const repository = new SecondFactorRepository(t.services.database.db)
    await factors().startEnrolment(user.id)
    const checked = (await repository.totpFor(user.id))!.secretSealed
    await factors().startEnrolment(user.id)
    expect(await repository.confirmTotp(user.id, checked, [])).toBe(false)
    expect((await factors().status(user.id, T0)).totp).toBe('enrolling')
  })

  test('the secret is stored sealed (AES-256-GCM, bound to the user), recovery codes only as keyed hashes', async () => {
    const { user, secret, recoveryCodes } = await enrolled()
    const [[totpRow]] = (await t.services.database.pool.query(
      'SELECT secret_sealed FROM totp_credentials WHERE user_id = ?',
      [user.id],
    )) as unknown as [{ secret_sealed: string }[]]
    expect(totpRow!.secret_sealed).not.toContain(secret)
    expect(totpRow!.secret_sealed).toMatch(/^v1\./)
    const box = new SecretBox(t.config.dataEncryptionKeys)
    expect(box.open(totpRow!.secret_sealed, user.id)).toBe(secret)
    expect(() => box.open(totpRow!.secret_sealed, 'another-user')).toThrow()
    expect(() => new SecretBox([Buffer.alloc(32, 1)]).open(totpRow!.secret_sealed, user.id)).toThrow()

    const [hashes] = (await t.services.database.pool.query('SELECT code_hash FROM recovery_codes WHERE user_id = ?', [
      user.id,
    ])) as unknown as [{ code_hash: string }[]]
    expect(hashes).toHaveLength(10)
    const stored = hashes.map((row) => row.code_hash).join(' ')
    for (const code of recoveryCodes) {
      expect(stored).not.toContain(normalizeRecoveryCode(code)!)
      expect(stored).not.toContain(new Bun.CryptoHasher('sha256').update(normalizeRecoveryCode(code)!).digest('hex'))
    }
  })

  test('20 users turning the app on at once all succeed (gap-lock deadlocks are retried)', async () => {
    const users = await Promise.all(Array.from({ length: 20 }, () => newUser()))
    const secrets = await Promise.all(users.map((user) => factors().startEnrolment(user.id)))
    const results = await Promise.all(
      users.map((user, i) => factors().confirmEnrolment(user.id, codeAt(secrets[i]!, T0), T0)),
    )
    expect(results.every((result) => result.ok)).toBe(true)
    const fresh = await Promise.all(users.map((user) => factors().regenerateRecoveryCodes(user.id)))
    expect(fresh.every((codes) => codes.length === 10)).toBe(true)
  })

  test('a second enrolment started before confirming replaces the first secret', async () => {
    const user = await newUser()
    const first = (await factors().startEnrolment(user.id))!
    const second = (await factors().startEnrolment(user.id))!
    expect(second).not.toBe(first)
    expect((await factors().confirmEnrolment(user.id, codeAt(first, T0), T0)).ok).toBe(false)
    expect((await factors().confirmEnrolment(user.id, codeAt(second, T0), T0)).ok).toBe(true)
  })
})

describe('verifying a code', () => {
  test('a code is accepted once: its replay is refused, even within the same step', async () => {
    const { user, secret } = await enrolled()
    const now = T0 + 3 * STEP_MS
    expect(await factors().verify(user.id, codeAt(secret, now), now)).toEqual({ ok: true, method: 'totp' })
    expect(await factors().verify(user.id, codeAt(secret, now), now + 1000)).toEqual({ ok: false, reason: 'replayed' })
  })

  test('one step of drift either side is allowed; two steps away is refused', async () => {
    const { user, secret } = await enrolled()
    const now = T0 + 10 * STEP_MS
    expect((await factors().verify(user.id, codeAt(secret, now - 2 * STEP_MS), now)).ok).toBe(false)
    expect((await factors().verify(user.id, codeAt(secret, now + 2 * STEP_MS), now)).ok).toBe(false)
    expect((await factors().verify(user.id, codeAt(secret, now - STEP_MS), now)).ok).toBe(true)
    expect((await factors().verify(user.id, codeAt(secret, now + STEP_MS), now)).ok).toBe(true)
    expect(await factors().verify(user.id, '12345', now)).toEqual({ ok: false, reason: 'wrong' })
  })

  test('the code used to confirm the enrolment cannot sign in afterwards', async () => {
    const { user, secret } = await enrolled()
    expect(await factors().verify(user.id, codeAt(secret, T0), T0)).toEqual({ ok: false, reason: 'replayed' })
  })

  test('20 concurrent uses of one code: exactly one is accepted', async () => {
    const { user, secret } = await enrolled()
    const now = T0 + 20 * STEP_MS
    const code = codeAt(secret, now)
    const results = await Promise.all(Array.from({ length: 20 }, () => factors().verify(user.id, code, now)))
    expect(results.filter((result) => result.ok)).toHaveLength(1)
    expect(results.filter((result) => !result.ok && result.reason === 'replayed')).toHaveLength(19)
  })

  test("another user's code does not work", async () => {
    const alice = await enrolled()
    const bob = await enrolled()
    const now = T0 + 30 * STEP_MS
    expect((await factors().verify(bob.user.id, codeAt(alice.secret, now), now)).ok).toBe(false)
  })
})

describe('recovery codes', () => {
  test('each works once, typed in any case, with or without its dash', async () => {
    const { user, recoveryCodes } = await enrolled()
    const [first, second, third] = recoveryCodes as [string, string, string]
    expect(await factors().verify(user.id, first, T0)).toEqual({ ok: true, method: 'recovery_code' })
    expect(await factors().verify(user.id, first, T0)).toEqual({ ok: false, reason: 'wrong' })
    expect((await factors().verify(user.id, second.toLowerCase().replace('-', ''), T0)).ok).toBe(true)
    expect((await factors().verify(user.id, ` ${third.slice(0, 5)} ${third.slice(6)} `, T0)).ok).toBe(true)
    expect((await factors().status(user.id, T0)).recoveryCodesLeft).toBe(7)
  })

  test('10 concurrent uses of one code: exactly one is accepted', async () => {
    const { user, recoveryCodes } = await enrolled()
    const results = await Promise.all(
      Array.from({ length: 10 }, () => factors().verify(user.id, recoveryCodes[0]!, T0)),
    )
    expect(results.filter((result) => result.ok)).toHaveLength(1)
  })

  test("regenerating voids every old code; another user's codes never work", async () => {
    const { user, recoveryCodes } = await enrolled()
    const other = await enrolled()
    expect((await factors().verify(other.user.id, recoveryCodes[0]!, T0)).ok).toBe(false)
    const fresh = await factors().regenerateRecoveryCodes(user.id)
    expect(fresh.some((code) => recoveryCodes.includes(code))).toBe(false)
    for (const old of recoveryCodes) expect((await factors().verify(user.id, old, T0)).ok).toBe(false)
    expect((await factors().verify(user.id, fresh[9]!, T0)).ok).toBe(true)
  })
})

describe('rotating DATA_ENCRYPTION_KEY (the new key first, then the old)', () => {
  const NEW_KEY = randomBytes(32)
  const oldKey = () => t.config.dataEncryptionKeys[0]!
  /** The second-factor service as an instance started with these keys would have it, on the same database and Redis. */
  const factorsWith = (keys: Buffer[]) =>
    new SecondFactors({
      repository: new SecondFactorRepository(t.services.database.db),
      box: new SecretBox(keys),
      hasher: new RecoveryCodeHasher(keys),
      redis: t.redis,
      prefix: t.config.redis.prefix,
      logger: t.services.logger,
    })
  const sealedSecretOf = async (userId: string) =>
    (await new SecondFactorRepository(t.services.database.db).totpFor(userId))!.secretSealed

  test('an app enrolled under the old key still signs in, and its secret moves to the new key at that use', async () => {
    const { user, secret } = await enrolled()
    const before = await sealedSecretOf(user.id)
    const rotated = factorsWith([NEW_KEY, oldKey()])
    const now = T0 + 50 * STEP_MS
    expect(await rotated.verify(user.id, codeAt(secret, now), now)).toEqual({ ok: true, method: 'totp' })
    const after = await sealedSecretOf(user.id)
    expect(after).not.toBe(before)
    expect(new SecretBox([NEW_KEY]).open(after, user.id)).toBe(secret)
    // Once every secret has moved, the old key can go: the app still works without it.
    const later = now + 2 * STEP_MS
    expect(await factorsWith([NEW_KEY]).verify(user.id, codeAt(secret, later), later)).toEqual({
      ok: true,
      method: 'totp',
    })
  })

  test('a wrong code under the rotated keys moves nothing', async () => {
    const { user } = await enrolled()
    const before = await sealedSecretOf(user.id)
    expect((await factorsWith([NEW_KEY, oldKey()]).verify(user.id, '000000', T0)).ok).toBe(false)
    expect(await sealedSecretOf(user.id)).toBe(before)
  })

  test('recovery codes made under the old key work while it is listed; new ones are made under the new key', async () => {
    const { user, recoveryCodes } = await enrolled()
    const rotated = factorsWith([NEW_KEY, oldKey()])
    expect(await rotated.verify(user.id, recoveryCodes[0]!, T0)).toEqual({ ok: true, method: 'recovery_code' })
    expect(await rotated.verify(user.id, recoveryCodes[0]!, T0)).toEqual({ ok: false, reason: 'wrong' })
    // With the old key dropped, the codes made under it no longer match.
    expect((await factorsWith([NEW_KEY]).verify(user.id, recoveryCodes[1]!, T0)).ok).toBe(false)

    const fresh = await rotated.regenerateRecoveryCodes(user.id)
    expect((await factorsWith([NEW_KEY]).verify(user.id, fresh[0]!, T0)).ok).toBe(true)
    expect((await t.services.deps.secondFactors.verify(user.id, fresh[1]!, T0)).ok).toBe(false)
  })

  test('a secret changed since it was read (a new enrolment) is not overwritten by its resealing', async () => {
    const user = await newUser()
    await factors().startEnrolment(user.id)
    const stale = await sealedSecretOf(user.id)
    await factors().startEnrolment(user.id)
    const current = await sealedSecretOf(user.id)
    expect(current).not.toBe(stale)
    const repository = new SecondFactorRepository(t.services.database.db)
    expect(
      await repository.resealTotp(user.id, stale, new SecretBox([NEW_KEY]).seal('JBSWY3DPEHPK3PXP', user.id)),
    ).toBe(false)
    expect(await sealedSecretOf(user.id)).toBe(current)
  })

  test('resealing moves every stored secret to the first key, page by page, so the old key can go', async () => {
    await Promise.all([enrolled(), enrolled(), enrolled()])
    const repository = new SecondFactorRepository(t.services.database.db)
    const report = await resealTotpSecrets(repository, new SecretBox([NEW_KEY, oldKey()]), 2)
    expect(report.moved).toBeGreaterThanOrEqual(3)
    expect(report.unopenable).toBe(0)
    const rows = await repository.sealedSecretsAfter('', 10_000)
    expect(rows).toHaveLength(report.moved + report.current)
    for (const { userId, secretSealed } of rows)
      expect(() => new SecretBox([NEW_KEY]).open(secretSealed, userId)).not.toThrow()
  })

  test('db:reseal (src/auth/reseal-cli.ts) reports what it moved, moves nothing twice, and fails on a secret no key opens', async () => {
    const keys = [NEW_KEY, oldKey()].map((key) => key.toString('base64')).join(',')
    const reseal = (env: Record<string, string> = { DATA_ENCRYPTION_KEY: keys }) => {
      const { DATA_ENCRYPTION_KEY: _, ...inherited } = process.env
      const run = Bun.spawnSync([process.execPath, 'src/auth/reseal-cli.ts'], {
        cwd: resolve(import.meta.dir, '..'),
        env: { ...inherited, NODE_ENV: 'development', DATABASE_URL: t.config.databaseUrl, ...env },
      })
      return { code: run.exitCode, out: run.stdout.toString(), err: run.stderr.toString() }
    }
    await enrolled()
    const first = reseal()
    expect(first.out).toMatch(
      /Authenticator-app secrets: [1-9]\d* moved to the first key, \d+ not moved \(already under it\), 0 open under no key given\./,
    )
    expect(first.code).toBe(0)
    expect(reseal().out).toMatch(/: 0 moved to the first key, [1-9]\d* not moved/)

    const { user } = await enrolled()
    await t.services.database.pool.query('UPDATE totp_credentials SET secret_sealed = ? WHERE user_id = ?', [
      new SecretBox([randomBytes(32)]).seal('JBSWY3DPEHPK3PXP', user.id),
      user.id,
    ])
    const broken = reseal()
    expect(broken.out).toContain(', 1 open under no key given.')
    expect(broken.code).toBe(1)

    // Without keys it refuses to guess; a database it cannot reach stops it with code 3 and no driver message.
    const noKey = reseal({})
    expect(noKey.err).toContain('DATA_ENCRYPTION_KEY is not set')
    expect(noKey.code).toBe(2)
    const unreachable = reseal({ DATA_ENCRYPTION_KEY: keys, DATABASE_URL: 'mysql://root@127.0.0.1:1/nowhere' })
    expect(unreachable.err).toMatch(/^Stopped by \w+ \(ECONNREFUSED\)\. What moved stays moved; run it again\.$/m)
    expect(unreachable.err).not.toContain('totp_credentials')
    expect(unreachable.code).toBe(3)
    await t.services.database.pool.query('DELETE FROM totp_credentials WHERE user_id = ?', [user.id])
  })

  test('a secret whose key was dropped does not open, saying so', async () => {
    const { user } = await enrolled()
    const sealed = await sealedSecretOf(user.id)
    expect(() => new SecretBox([NEW_KEY]).open(sealed, user.id)).toThrow(/opens under no key given/)
    expect(() => new SecretBox([NEW_KEY, oldKey()]).open(sealed, 'another-user')).toThrow(/opens under no key given/)
    expect(() => new SecretBox([])).toThrow(/one or more 32-byte keys/)
  })
})

describe('turning the app off', () => {
  test('needs a current code or a recovery code, and removes the recovery codes with it', async () => {
    const { user, secret, recoveryCodes } = await enrolled()
    const now = T0 + 40 * STEP_MS
    expect((await factors().disable(user.id, '000000', now)).ok).toBe(false)
    expect((await factors().status(user.id, T0)).totp).toBe('on')
    expect((await factors().disable(user.id, codeAt(secret, now), now)).ok).toBe(true)
    expect(await factors().status(user.id, T0)).toMatchObject({ totp: 'off', recoveryCodesLeft: 0 })
    expect((await factors().verify(user.id, recoveryCodes[1]!, now)).ok).toBe(false)

    const again = await enrolled()
    expect((await factors().disable(again.user.id, again.recoveryCodes[0]!, now)).ok).toBe(true)
    expect((await factors().status(again.user.id, T0)).totp).toBe('off')
  })
})

describe('the per-account lock on wrong codes', () => {
  test('40 wrong codes at once: exactly 20 are checked, the rest are refused as locked', async () => {
    const { user } = await enrolled()
    const checks = await Promise.all(Array.from({ length: 40 }, () => factors().verifyAtSignIn(user.id, '000000', T0)))
    const reasons = checks.map((check) => (check.ok ? 'ok' : check.reason))
    expect(reasons.filter((reason) => reason === 'wrong')).toHaveLength(20)
    expect(reasons.filter((reason) => reason === 'locked')).toHaveLength(20)
  })

  /* Stands in for the 15-minute window running out. */
  const endWindow = (userId: string) => t.services.redis.del(`${t.config.redis.prefix}mfa:{${userId}}:window`)

  test('more than 100 wrong codes in a row, across windows: app codes are refused until a recovery code passes', async () => {
    const { user, secret, recoveryCodes } = await enrolled()
    const now = T0 + 80 * STEP_MS
    let checked = 0
    for (let window = 0; window < 10 && checked < MAX_CONSECUTIVE_FAILURES; window++) {
      await endWindow(user.id)
      // Each window checks its 20; the 20 it refuses are not counted as consecutive failures.
      const checks = await Promise.all(
        Array.from({ length: 40 }, () => factors().verifyAtSignIn(user.id, '000000', now)),
      )
      const wrong = checks.filter((check) => !check.ok && check.reason === 'wrong').length
      expect(wrong).toBe(20)
      checked += wrong
    }
    expect(checked).toBe(MAX_CONSECUTIVE_FAILURES)
    await endWindow(user.id)
    // Even the right code is refused now: the app's codes have had their 100 guesses.
    expect(await factors().verifyAtSignIn(user.id, codeAt(secret, now), now)).toEqual({
      ok: false,
      reason: 'app_locked',
    })
    expect(await factors().verifyAtSignIn(user.id, recoveryCodes[0]!, now)).toEqual({
      ok: true,
      method: 'recovery_code',
    })
    expect(await factors().verifyAtSignIn(user.id, codeAt(secret, now), now)).toEqual({ ok: true, method: 'totp' })
  })

  test('a passed second step starts the consecutive count again', async () => {
    const { user, secret } = await enrolled()
    const at = (step: number) => T0 + (200 + step * 3) * STEP_MS
    for (let round = 0; round < 6; round++) {
      await endWindow(user.id)
      // 19 wrong a round, 114 in all: past the cap, were they not cleared by each success.
      for (let i = 0; i < 19; i++) expect((await factors().verifyAtSignIn(user.id, '000000', at(round))).ok).toBe(false)
      expect(await factors().verifyAtSignIn(user.id, codeAt(secret, at(round)), at(round))).toEqual({
        ok: true,
        method: 'totp',
      })
    }
  })
})
