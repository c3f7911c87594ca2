import { setTimeout as sleep } from 'node:timers/promises'
import { OverloadedError } from './overloaded.ts'

const RETRY_AFTER_SECONDS = 2
/*
 * A client back early is held until a random moment in the half of
 * Retry-After that follows it (one that honours Retry-After is not held).
 * Refusals come in bursts (a whole flood at once), and held for exactly
 * Retry-After the same clients came back in bursts too: every 2 s the bound
 * filled at once, its logins were done in 1.3 s, and the bcrypt workers then
 * sat idle, with a thousand clients waiting, until the next burst. Spread,
 * they arrive all the time, and a slot is taken again within a millisecond of
 * being freed.
 */
const HOLD_SPREAD = 0.5
/* Clients remembered for their Retry-After; beyond it the longest-refused are forgotten first. */
const MAX_REMEMBERED = 10_000
/*
 * Requests held at once. Each is an open request and a timer; beyond this
 * many (one client can send any number at once), an early one is judged at
 * once like anyone else, so what a flood can make the server keep is bounded.
 */
const MAX_HELD = 10_000

/**
 * Who asks (`client`, e.g. the session's public ID) and the request's
 * `signal`, so a client that left stops waiting.
 */
export type GateOptions = { client?: string | null; signal?: AbortSignal }

/** `retryAfterSeconds`: what a refusal tells the client; `maxHeld`: see MAX_HELD (tests set them lower). */
export type GateSettings = { retryAfterSeconds?: number; maxHeld?: number }

/**
 * One bound on the password work in flight (logins, sign-ups, password checks
 * and changes): beyond `limit` at once, a new one is refused at once with
 * OverloadedError (503 + Retry-After) instead of queueing behind a storm.
 * A client then retries into a short queue, and a login right after a storm
 * waits for at most `limit` others, not for thousands. Routes run the whole
 * check in a slot, taken before anything else: a refusal costs no Redis
 * command, so a flood of them cannot crowd out the logins let in.
 *
 * A client that comes back before its Retry-After is up waits it out first
 * (and a little more, spread: see HOLD_SPREAD), and is then let in or refused
 * like anyone else. Clients that retry in a tight loop would otherwise keep
 * the event loop busy refusing them, and that CPU is what the logins let in
 * need for bcrypt; a client that honours Retry-After never waits.
 */
export class CredentialGate {
  readonly #limit: number
  readonly #holdMs: number
  readonly #maxHeld: number
  #held = 0
  /* One error for every refusal: a flood is refused thousands of times a second, and nobody reads their stack traces. */
  readonly #full: OverloadedError
  #inFlight = 0
  /** When each recently refused client may come back (performance.now()), oldest refusal first. */
  readonly #refusedUntil = new Map<string, number>()

  constructor(limit: number, { retryAfterSeconds = RETRY_AFTER_SECONDS, maxHeld = MAX_HELD }: GateSettings = {}) {
    this.#limit = Math.max(1, limit)
    this.#holdMs = retryAfterSeconds * 1000
    this.#maxHeld = maxHeld
    this.#full = new OverloadedError('Logging in', retryAfterSeconds)
  }

  get inFlight(): number {
    return this.#inFlight
  }

  /** Runs `work` in one of the slots, or refuses when all are taken (at once, unless the client came back early). */
  async run<T>(work: () => Promise<T>, { client, signal }: GateOptions = {}): Promise<T> {
    const until = client ? this.#refusedUntil.get(client) : undefined
    if (until !== undefined) {
      const early = until - performance.now()
      if (early > 0 && this.#held < this.#maxHeld) await this.#hold(early, signal)
    }
    if (this.#inFlight >= this.#limit) {
      if (client) this.#remember(client)
      throw this.#full
    }
    if (client && until !== undefined) this.#refusedUntil.delete(client)
    this.#inFlight++
    try {
      return await work()
    } finally {
      this.#inFlight--
    }
  }

  async #hold(early: number, signal: AbortSignal | undefined): Promise<void> {
    this.#held++
    try {
      await sleep(early + Math.random() * this.#holdMs * HOLD_SPREAD, undefined, { signal })
    } finally {
      this.#held--
    }
  }

  #remember(client: string): void {
    this.#refusedUntil.delete(client)
    this.#refusedUntil.set(client, performance.now() + this.#holdMs)
    if (this.#refusedUntil.size > MAX_REMEMBERED) {
      this.#refusedUntil.delete(this.#refusedUntil.keys().next().value!)
    }
  }
}
