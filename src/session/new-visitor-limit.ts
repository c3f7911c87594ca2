/** Networks (and IPv6 sites) counted per minute at most: a minute's counts must stay small whoever sends. */
const MAX_TRACKED = 100_000

/** An IPv6 site (/48) may start this many times a network's limit: one holder of a /48 has 65,536 /64s. */
const SITE_FACTOR = 16

/**
 * How many new sessions one client network may start per minute, counted in
 * this process's memory: a new session costs Redis memory until it expires,
 * and keeping the count here costs the page view no round trip. A fixed
 * window, so at most twice the limit fits in any 60 seconds; each app
 * instance counts on its own.
 *
 * An IPv6 network (a /64) is also counted in its /48, at SITE_FACTOR times
 * the limit. Once a minute's counts hold MAX_TRACKED networks, a network not
 * yet counted is refused until the minute turns: letting it through uncounted
 * would let anyone holding enough networks store sessions without limit.
 */
export class NewVisitorLimit {
  readonly #perMinute: number
  readonly #clock: () => number
  readonly #maxTracked: number
  #counts = new Map<string, number>()
  #minute = -1

  constructor(perMinute: number, clock: () => number = Date.now, maxTracked = MAX_TRACKED) {
    this.#perMinute = perMinute
    this.#clock = clock
    this.#maxTracked = maxTracked
  }

  /** Counts one new session for `network`; false when it (or its site) is over the limit this minute. */
  admit(network: string): boolean {
    const minute = Math.floor(this.#clock() / 60_000)
    if (minute !== this.#minute) {
      this.#minute = minute
      this.#counts = new Map()
    }
    const site = siteOf(network)
    const count = (this.#counts.get(network) ?? 0) + 1
    const siteCount = site === undefined ? 0 : (this.#counts.get(site) ?? 0) + 1
    if (count > this.#perMinute || siteCount > this.#perMinute * SITE_FACTOR) return false
    const entries = Number(count === 1) + Number(siteCount === 1)
    if (this.#counts.size + entries > this.#maxTracked) return false
    this.#counts.set(network, count)
    if (site !== undefined) this.#counts.set(site, siteCount)
    return true
  }
}

/* The /48 an IPv6 network given as `a:b:c:d::/64` lies in; none for an IPv4 address. */
function siteOf(network: string): string | undefined {
  if (!network.endsWith('::/64')) return undefined
  return `${network.split(':').slice(0, 3).join(':')}::/48`
}
