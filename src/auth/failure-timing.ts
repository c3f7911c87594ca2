import { setTimeout as sleep } from 'node:timers/promises'

/*
 * How many recent bcrypt runs at one cost set that cost's floor: enough to
 * ride out a run slowed by load, few enough that a change of load is followed
 * within a minute or so.
 */
const WINDOW = 32

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
  readonly #recentByCost = new Map<number, { runs: number[]; next: number }>()

  /** Whether a bcrypt run has been measured yet. */
  get primed(): boolean {
    return this.#recentByCost.size > 0
  }

  /** Notes how long one bcrypt comparison against a hash of `cost` took. */
  record(cost: number, workMs: number): void {
    let recent = this.#recentByCost.get(cost)
    if (!recent) {
      recent = { runs: [], next: 0 }
      this.#recentByCost.set(cost, recent)
    }
    if (recent.runs.length < WINDOW) recent.runs.push(workMs)
    else recent.runs[recent.next] = workMs
    recent.next = (recent.next + 1) % WINDOW
  }

  /** After a failed attempt whose comparisons against a hash of `cost` took `workMs` each: waits out the rest of the floor. */
  async padFailure(cost: number, workMs: readonly number[]): Promise<void> {
    for (const ms of workMs) this.record(cost, ms)
    let floor = 0
    for (const { runs } of this.#recentByCost.values()) floor = Math.max(floor, ...runs)
    const rest = floor * workMs.length - workMs.reduce((sum, ms) => sum + ms, 0)
    if (rest > 1) await sleep(rest)
  }
}
