/** Networks tracked per minute at most; beyond it, new networks are let through rather than remembered. */
const MAX_TRACKED = 50_000

/**
 * How many new sessions one client network may start per minute, counted in
 * this process's memory: a new session costs Redis memory until it expires,
 * and keeping the count here costs the page view no round trip. A fixed
 * window, so at most twice the limit fits in any 60 seconds; each app
 * instance counts on its own.
 */
export class NewVisitorLimit {
  readonly #perMinute: number
  readonly #clock: () => number
  #counts = new Map<string, number>()
  #minute = -1

  constructor(perMinute: number, clock: () => number = Date.now) {
    this.#perMinute = perMinute
    this.#clock = clock
  }

  /** Counts one new session for `network`; false when it is over the limit this minute. */
  admit(network: string): boolean {
    const minute = Math.floor(this.#clock() / 60_000)
    if (minute !== this.#minute) {
      this.#minute = minute
      this.#counts = new Map()
    }
    const count = (this.#counts.get(network) ?? 0) + 1
    if (count > this.#perMinute) return false
    if (this.#counts.size < MAX_TRACKED || this.#counts.has(network)) this.#counts.set(network, count)
    return true
  }
}
