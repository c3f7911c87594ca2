import { setTimeout as sleep } from 'node:timers/promises'

/*
 * How many recent bcrypt runs at one cost set that cost's floor: enough to
 * ride out a run slowed by load, few enough that a change of load is followed
 * within a minute or so.
 */
const WINDOW = 32

/*
 * A cost seen rarely (old hashes after BCRYPT_COST changed) keeps its runs
 * for long: past this age they count by their median, so one run slowed by a
 * load spike does not hold every failed login up until the next such hash.
 */
const RECENT_MS = 10 * 60_000

type Runs = { ms: number[]; at: number[]; next: number }

/**
 * Makes every failed password check take as long as the slowest recent one
 * at any cost in use. Unknown emails are checked against a dummy hash of the
 * configured cost while stored hashes keep the cost they were made with until
 * their owner logs in; without this floor, a change of BCRYPT_COST would split
 * failures into a fast and a slow kind, one of which means "this account
 * exists". Runs are remembered per cost, so failures at one cost (a stranger's
 * unknown emails) cannot push a slower cost's runs out of the floor. Waiting
 * costs no CPU: the floor is slept, not computed.
 */
export class FailureTiming {
  readonly #runsByCost = new Map<number, Runs>()
  readonly #now: () => number

  constructor(now: () => number = Date.now) {
    this.#now = now
  }

  /** Whether a bcrypt run has been measured yet. */
  get primed(): boolean {
    return this.#runsByCost.size > 0
  }

  /** Notes how long one bcrypt comparison against a hash of `cost` took. */
  record(cost: number, workMs: number): void {
    let runs = this.#runsByCost.get(cost)
    if (!runs) {
      runs = { ms: [], at: [], next: 0 }
      this.#runsByCost.set(cost, runs)
    }
    runs.ms[runs.next] = workMs
    runs.at[runs.next] = this.#now()
    runs.next = (runs.next + 1) % WINDOW
  }

  /** How long a failed comparison must take now: the slowest recent run, of whichever cost. */
  floor(): number {
    const since = this.#now() - RECENT_MS
    let floor = 0
    for (const { ms, at } of this.#runsByCost.values()) {
      const recent = ms.filter((_, i) => at[i]! >= since)
      floor = Math.max(floor, recent.length > 0 ? Math.max(...recent) : median(ms))
    }
    return floor
  }

  /** After a failed attempt whose comparisons against a hash of `cost` took `workMs` each: waits out the rest of the floor. */
  async padFailure(cost: number, workMs: readonly number[]): Promise<void> {
    for (const ms of workMs) this.record(cost, ms)
    const rest = this.floor() * workMs.length - workMs.reduce((sum, ms) => sum + ms, 0)
    if (rest > 1) await sleep(rest)
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? 0
}
