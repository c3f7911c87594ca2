import { setTimeout as sleep } from 'node:timers/promises'
import { OverloadedError } from './overloaded.ts'

const RETRY_AFTER_SECONDS = 2
/* Clients remembered for their Retry-After; beyond it the longest-refused are forgotten first. */
const MAX_REMEMBERED = 10_000

/* One error for every refusal: a flood is refused thousands of times a second, and nobody reads their stack traces. */
const FULL = new OverloadedError('Logging in', RETRY_AFTER_SECONDS)

/**
 * Who asks (`client`, e.g. the session's public ID) and the request's
 * `signal`, so a client that left stops waiting.
 */
export type GateOptions = { client?: string | null; signal?: AbortSignal }

/**
 * One bound on the password work in flight (logins, sign-ups, password checks
 * and changes): beyond `limit` at once, a new one is refused at once with
 * OverloadedError (503 + Retry-After) instead of queueing behind a storm.
 * A client then retries into a short queue, and a login right after a storm
 * waits for at most `limit` others, not for thousands. Routes run the whole
 * check in a slot, taken before anything else: a refusal costs no Redis
 * command, so a flood of them cannot crowd out the logins let in.
 *
 * A client that comes back before its Retry-After is up waits it out first,
 * and is then let in or refused like anyone else. Clients that retry in a
 * tight loop would otherwise keep the event loop busy refusing them, and that
 * CPU is what the logins let in need for bcrypt; a client that honours
 * Retry-After never waits.
 */
export class CredentialGate {
  readonly #limit: number
  #inFlight = 0
  /** When each recently refused client may come back (performance.now()), oldest refusal first. */
  readonly #refusedUntil = new Map<string, number>()

  constructor(limit: number) {
    this.#limit = Math.max(1, limit)
  }

  get inFlight(): number {
    return this.#inFlight
  }

  /** Runs `work` in one of the slots, or refuses when all are taken (at once, unless the client came back early). */
  async run<T>(work: () => Promise<T>, { client, signal }: GateOptions = {}): Promise<T> {
    const until = client ? this.#refusedUntil.get(client) : undefined
    if (until !== undefined) {
      const early = until - performance.now()
      if (early > 0) await sleep(early, undefined, { signal })
    }
    if (this.#inFlight >= this.#limit) {
      if (client) this.#remember(client)
      throw FULL
    }
    if (client && until !== undefined) this.#refusedUntil.delete(client)
    this.#inFlight++
    try {
      return await work()
    } finally {
      this.#inFlight--
    }
  }

  #remember(client: string): void {
    this.#refusedUntil.delete(client)
    this.#refusedUntil.set(client, performance.now() + RETRY_AFTER_SECONDS * 1000)
    if (this.#refusedUntil.size > MAX_REMEMBERED) {
      this.#refusedUntil.delete(this.#refusedUntil.keys().next().value!)
    }
  }
}
