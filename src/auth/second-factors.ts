import type { Passkey } from '../db/schema.ts'
import type { FactorSummary, SecondFactorRepository } from '../db/second-factors.ts'
import { describeError, type Logger } from '../log.ts'
import type { RedisClient } from '../redis/client.ts'
import { viaRedis } from '../unavailable.ts'
import { newRecoveryCodes, normalizeRecoveryCode, type RecoveryCodeHasher } from './recovery-codes.ts'
import type { SecretBox } from './secret-box.ts'
import { isTotpCode, newTotpSecret, TOTP_PERIOD_SECONDS, totpStep } from './totp.ts'

/*
 * How long an unfinished setup lasts. Its key has been shown on a screen, so
 * after this it is dropped rather than shown again or confirmed: whoever saw
 * it then need not be the owner now.
 */
const ENROLMENT_MS = 15 * 60_000

/** How a second step was passed: shown in "Your sessions" and written to the audit log. */
export type SecondFactorMethod = 'totp' | 'recovery_code'

export type SecondFactorCheck = { ok: true; method: SecondFactorMethod } | { ok: false; reason: 'wrong' | 'replayed' }

/**
 * A second step at sign-in: `locked` when the account has had too many wrong
 * codes lately, from anywhere; `app_locked` when it has had so many since its
 * last passed second step that the app's codes are refused until a recovery
 * code or a passkey passes one.
 */
export type SignInCheck =
  | SecondFactorCheck
  | { ok: false; reason: 'locked'; retryAfterSeconds: number }
  | { ok: false; reason: 'app_locked' }

export type SecurityStatus = {
  totp: 'off' | 'enrolling' | 'on'
  recoveryCodesLeft: number
  passkeys: Passkey[]
}

export type Enrolment = { state: 'none' | 'on' | 'expired' } | { state: 'live'; secret: string }

/** `expired` when the setup began more than 15 minutes ago: it starts again with a new key. */
export type EnrolmentResult =
  | { ok: true; recoveryCodes: string[] }
  | { ok: false; reason: 'wrong' | 'not_enrolling' | 'expired' }

type SecondFactorOptions = {
  repository: SecondFactorRepository
  box: SecretBox
  hasher: RecoveryCodeHasher
  redis: RedisClient
  prefix: string
  logger: Logger
}

/*
 * A code is valid from one step before its own to one step after, so a
 * marker kept this long outlives every moment the code could be accepted.
 */
const REPLAY_MARKER_MS = 4 * TOTP_PERIOD_SECONDS * 1000

/*
 * A right password clears that email's login throttle, so the per-IP and
 * per-email counters alone would let someone who has the password guess codes
 * five at a time from ever new addresses. Wrong second steps are therefore
 * also counted per account: this many within the window lock the second step
 * (only someone who knows the password can cause that).
 */
const MAX_ACCOUNT_FAILURES = 20
const ACCOUNT_FAILURE_WINDOW_MS = 15 * 60 * 1000

/*
 * The window alone would give 20 guesses every 15 minutes for ever. NIST SP
 * 800-63B-4 §3.2.2 caps consecutive failures at 100: after that many since the
 * last passed second step, six-digit codes are refused outright. Recovery
 * codes (50 bits: not guessable) and passkeys still pass, and clear the count,
 * as a password reset does (it takes the password away from whoever guessed):
 * someone holding the password can lock only the app's codes, and not for good.
 */
export const MAX_CONSECUTIVE_FAILURES = 100
const CONSECUTIVE_MEMORY_MS = 365 * 24 * 60 * 60 * 1000

/*
 * KEYS[1] the window's count, KEYS[2] the consecutive count (one hash tag:
 * Cluster-safe); ARGV[1] window ms, ARGV[2] window limit, ARGV[3] how long the
 * consecutive count is remembered. Counts the attempt in the window; one the
 * window refuses is not checked, so it is not counted as consecutive either.
 * Returns the window's count, the consecutive count and the window's PTTL.
 */
const COUNT_ATTEMPT = `
local attempts = redis.call('INCR', KEYS[1])
if attempts == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if attempts > tonumber(ARGV[2]) then return {attempts, 0, redis.call('PTTL', KEYS[1])} end
local consecutive = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {attempts, consecutive, 0}
`

type CountCommand = {
  secondStepAttempt(window: string, consecutive: string, ...args: string[]): Promise<[number, number, number]>
}

/**
 * Authenticator apps (TOTP) and recovery codes: enrolment, verification with
 * replay protection, and turning them off. Secrets are sealed at rest and
 * never leave this module except to the user enrolling.
 */
export class SecondFactors {
  readonly #options: SecondFactorOptions
  readonly #redis: RedisClient & CountCommand

  constructor(options: SecondFactorOptions) {
    this.#options = options
    options.redis.defineCommand('secondStepAttempt', { numberOfKeys: 2, lua: COUNT_ATTEMPT })
    this.#redis = options.redis as RedisClient & CountCommand
  }

  /** Which factors the user has. */
  summary(userId: string): Promise<FactorSummary> {
    return this.#options.repository.summary(userId)
  }

  /** Whether the authenticator app is on: a password sign-in, or a re-authentication, then needs a code too. */
  appOn(userId: string): Promise<boolean> {
    return this.#options.repository.hasApp(userId)
  }

  /** What the security page shows; an unfinished setup older than 15 minutes counts as off. */
  async status(userId: string, now: number): Promise<SecurityStatus> {
    const { repository } = this.#options
    const [totp, recoveryCodesLeft, passkeys] = await Promise.all([
      repository.totpFor(userId),
      repository.recoveryCodesLeft(userId),
      repository.listPasskeys(userId),
    ])
    const state = !totp ? 'off' : totp.confirmedAt ? 'on' : isLive(totp, now) ? 'enrolling' : 'off'
    return { totp: state, recoveryCodesLeft, passkeys }
  }

  /** Starts (or restarts) an enrolment with a new secret; null when an app is already on. */
  async startEnrolment(userId: string): Promise<string | null> {
    const secret = newTotpSecret()
    const started = await this.#options.repository.startTotpEnrolment(userId, this.#options.box.seal(secret, userId))
    return started ? secret : null
  }

  /**
   * Where the setup of an authenticator app stands. A `live` one began in the
   * last 15 minutes and is not finished: its secret is shown on the setup page,
   * and kept when setup is continued, since an app may have just scanned it.
   */
  async enrolment(userId: string, now: number): Promise<Enrolment> {
    const row = await this.#options.repository.totpFor(userId)
    if (!row) return { state: 'none' }
    if (row.confirmedAt) return { state: 'on' }
    if (!isLive(row, now)) return { state: 'expired' }
    return { state: 'live', secret: this.#options.box.open(row.secretSealed, userId) }
  }

  /** Drops an unfinished setup, after a password reset: a key shown before it may have been shown to someone else. */
  dropUnfinishedEnrolment(userId: string): Promise<void> {
    return this.#options.repository.dropTotpEnrolment(userId)
  }

  /** Turns the app on once a current code proves the user has the secret; returns the first recovery codes. */
  async confirmEnrolment(userId: string, code: string, now: number): Promise<EnrolmentResult> {
    const { repository, box } = this.#options
    const row = await repository.totpFor(userId)
    if (!row || row.confirmedAt) return { ok: false, reason: 'not_enrolling' }
    if (!isLive(row, now)) return { ok: false, reason: 'expired' }
    const step = totpStep(box.open(row.secretSealed, userId), code, now)
    if (step === null || !(await this.#claimStep(userId, step))) return { ok: false, reason: 'wrong' }
    const recoveryCodes = newRecoveryCodes()
    // Only the key the code was checked against is turned on, not one a setup in another tab put in its place meanwhile.
    const confirmed = await repository.confirmTotp(userId, row.secretSealed, this.#hashAll(recoveryCodes))
    return confirmed ? { ok: true, recoveryCodes } : { ok: false, reason: 'not_enrolling' }
  }

  /**
   * Checks a second step: a current authenticator code (each accepted once)
   * or an unused recovery code (used up by this check).
   */
  async verify(userId: string, input: string, now: number): Promise<SecondFactorCheck> {
    const { repository, box, hasher } = this.#options
    if (isTotpCode(input)) {
      const row = await repository.totpFor(userId)
      if (!row?.confirmedAt) return { ok: false, reason: 'wrong' }
      const { plaintext, resealed } = box.openForRotation(row.secretSealed, userId)
      const step = totpStep(plaintext, input, now)
      if (step === null) return { ok: false, reason: 'wrong' }
      if (!(await this.#claimStep(userId, step))) return { ok: false, reason: 'replayed' }
      // A secret sealed under an older DATA_ENCRYPTION_KEY moves to the current
      // one at its first use after the rotation. Best effort: if this fails, the
      // next use tries again, and the sign-in has already passed.
      if (resealed) {
        await repository.resealTotp(userId, row.secretSealed, resealed).catch((error) => {
          this.#options.logger.warn({ type: 'totp_reseal_failed', ...describeError(error) }, 'totp_reseal_failed')
        })
      }
      return { ok: true, method: 'totp' }
    }
    const code = normalizeRecoveryCode(input)
    if (code && (await repository.useRecoveryCode(userId, hasher.candidates(code))))
      return { ok: true, method: 'recovery_code' }
    return { ok: false, reason: 'wrong' }
  }

  /**
   * The second step of a sign-in (and turning the app off): `verify`, refused
   * outright while the account is locked by too many recent wrong codes, and
   * an app code refused after too many wrong ones in a row. Each attempt is
   * counted before it is checked, in one atomic step, so guesses sent at once
   * cannot all pass the limits before any of them is counted; a success clears
   * both counts.
   */
  async verifyAtSignIn(userId: string, input: string, now: number): Promise<SignInCheck> {
    const keys = this.#failureKeys(userId)
    const [attempts, consecutive, windowTtl] = await viaRedis(
      this.#redis.secondStepAttempt(
        ...keys,
        String(ACCOUNT_FAILURE_WINDOW_MS),
        String(MAX_ACCOUNT_FAILURES),
        String(CONSECUTIVE_MEMORY_MS),
      ),
    )
    if (attempts > MAX_ACCOUNT_FAILURES)
      return { ok: false, reason: 'locked', retryAfterSeconds: Math.max(1, Math.ceil(windowTtl / 1000)) }
    if (consecutive > MAX_CONSECUTIVE_FAILURES && isTotpCode(input)) return { ok: false, reason: 'app_locked' }
    const check = await this.verify(userId, input, now)
    if (check.ok) await this.clearWrongCodes(userId)
    return check
  }

  /** After any passed second step (a passkey's too), or a password reset: wrong codes counted against the account start again. */
  async clearWrongCodes(userId: string): Promise<void> {
    await viaRedis(this.#options.redis.del(...this.#failureKeys(userId)))
  }

  /* Both counts of one account share a hash tag: one script counts them, also on Redis Cluster. */
  #failureKeys(userId: string): [window: string, consecutive: string] {
    const tag = `${this.#options.prefix}mfa:{${userId}}`
    return [`${tag}:window`, `${tag}:consecutive`]
  }

  /** Counts one wrong code in a pending sign-in (keyed by its session); returns how many so far. */
  countPendingFailure(sessionId: string, windowMs: number): Promise<number> {
    return this.#count(`${this.#options.prefix}mfa:pending:${sessionId}`, windowMs)
  }

  /**
   * Turns the authenticator app off after a current code or a recovery code,
   * checked and counted as at sign-in: a stolen session that knows the
   * password must not get unlimited guesses here either.
   */
  async disable(userId: string, input: string, now: number): Promise<SignInCheck> {
    const check = await this.verifyAtSignIn(userId, input, now)
    if (check.ok) await this.#options.repository.disableTotp(userId)
    return check
  }

  /** New recovery codes; every earlier one stops working at once. */
  async regenerateRecoveryCodes(userId: string): Promise<string[]> {
    const codes = newRecoveryCodes()
    await this.#options.repository.replaceRecoveryCodes(userId, this.#hashAll(codes))
    return codes
  }

  /* INCR and a TTL set only by the first, in one transaction: a counter can never be left without expiry. */
  async #count(key: string, windowMs: number): Promise<number> {
    const results = await viaRedis(this.#options.redis.multi().incr(key).pexpire(key, windowMs, 'NX').exec())
    return Number(results?.[0]?.[1] ?? 0)
  }

  /** Renames one of the user's passkeys; false when the user has no passkey with that ID. */
  renamePasskey(userId: string, id: string, name: string): Promise<boolean> {
    return this.#options.repository.renamePasskey(userId, id, name)
  }

  /** Turns the app off without a code: only to take back a setup its session could not finish (see methodChanged). */
  async withdrawApp(userId: string): Promise<void> {
    await this.#options.repository.disableTotp(userId)
  }

  /** Removes one of the user's passkeys and returns it; null when the user has no passkey with that ID. */
  removePasskey(userId: string, id: string): Promise<Passkey | null> {
    return this.#options.repository.removePasskey(userId, id)
  }

  #hashAll(codes: string[]): string[] {
    return codes.map((code) => this.#options.hasher.hash(normalizeRecoveryCode(code)!))
  }

  /* SET NX: of any number of uses of one code, concurrent or not, only the first is accepted. */
  async #claimStep(userId: string, step: number): Promise<boolean> {
    const key = `${this.#options.prefix}totp:${userId}:${step}`
    return (await viaRedis(this.#options.redis.set(key, '1', 'PX', REPLAY_MARKER_MS, 'NX'))) === 'OK'
  }
}

const isLive = (enrolment: { createdAt: Date }, now: number) => now - enrolment.createdAt.getTime() <= ENROLMENT_MS
