import { OverloadedError } from './overloaded.ts'

/* One error for every refusal: a flood is refused thousands of times a second, and nobody reads their stack traces. */
const FULL = new OverloadedError('Logging in', 2)

/**
 * One bound on the password work in flight (logins, sign-ups, password checks
 * and changes): beyond `limit` at once, a new one is refused at once with
 * OverloadedError (503 + Retry-After) instead of queueing behind a storm.
 * A client then retries into a short queue, and a login right after a storm
 * waits for at most `limit` others, not for thousands. Routes run the whole
 * check in a slot, taken before anything else: a refusal costs no Redis
 * command, so a flood of them cannot crowd out the logins let in.
 */
export class CredentialGate {
  readonly #limit: number
  #inFlight = 0

  constructor(limit: number) {
    this.#limit = Math.max(1, limit)
  }

  get inFlight(): number {
    return this.#inFlight
  }

  /** Runs `work` in one of the slots, or refuses at once when all are taken. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#inFlight >= this.#limit) throw FULL
    this.#inFlight++
    try {
      return await work()
    } finally {
      this.#inFlight--
    }
  }
}
