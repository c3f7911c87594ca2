/** How long an estimate of the offset between this process's clock and Redis's stays in use. */
const WINDOW_MS = 10_000

/**
 * This process's view of Redis's clock, which the session scripts use as the
 * only clock for deadlines. Every script answers with Redis's `TIME`; a reply
 * received at local time `t` carrying Redis time `r` shows that the offset is
 * at least `r - t` (the reply was on its way for a while), so the largest such
 * bound seen recently is the estimate. Estimates age out after a window or
 * two, so the clock follows a step of either clock (NTP, a failover to a
 * master whose clock differs), and a reply delayed by a freeze, which
 * understates the offset, never drags it down.
 */
export class RedisClock {
  readonly #local: () => number
  #current = Number.NEGATIVE_INFINITY
  #previous = Number.NEGATIVE_INFINITY
  #windowStart: number
  #known = 0

  constructor(local: () => number = Date.now) {
    this.#local = local
    this.#windowStart = local()
  }

  /** Redis's time now, as far as this process can tell (milliseconds). */
  now(): number {
    return this.#local() + this.offset()
  }

  /** Milliseconds to add to the local clock to read Redis's. */
  offset(): number {
    this.#rotate()
    const best = Math.max(this.#current, this.#previous)
    return best === Number.NEGATIVE_INFINITY ? this.#known : best
  }

  /** Learns from a reply that carried Redis's time `redisNow`, received just now. */
  observe(redisNow: number): void {
    this.#rotate()
    const bound = redisNow - this.#local()
    if (bound > this.#current) this.#current = bound
    this.#known = Math.max(this.#current, this.#previous)
  }

  /** Forgets what it knew, after a reply proved the estimate wrong (the next reply sets it again). */
  reset(redisNow: number): void {
    this.#current = Number.NEGATIVE_INFINITY
    this.#previous = Number.NEGATIVE_INFINITY
    this.observe(redisNow)
  }

  #rotate(): void {
    const now = this.#local()
    if (now - this.#windowStart < WINDOW_MS) return
    this.#previous = now - this.#windowStart < 2 * WINDOW_MS ? this.#current : Number.NEGATIVE_INFINITY
    this.#current = Number.NEGATIVE_INFINITY
    this.#windowStart = now
  }
}
