import { setTimeout as sleep } from 'node:timers/promises'

/*
 * How many recent bcrypt runs of failed attempts set the floor: enough that
 * hashes of every cost in use are among them, few enough that a change of
 * BCRYPT_COST or of load is followed within a minute or so.
 */
const WINDOW = 32

/**
 * Makes every failed password check take as long as the slowest recent one.
 * Unknown emails are checked against a dummy hash of the configured cost while
 * stored hashes keep the cost they were made with until their owner logs in;
 * without this floor, a change of BCRYPT_COST would split failures into a fast
 * and a slow kind, one of which means "this account exists". Waiting costs no
 * CPU: the floor is slept, not computed.
 */
export class FailureTiming {
  readonly #recent: number[] = []
  #next = 0

  /** Whether a bcrypt run has been measured yet. */
  get primed(): boolean {
    return this.#recent.length > 0
  }

  /** Notes how long one bcrypt comparison took. */
  record(workMs: number): void {
    if (this.#recent.length < WINDOW) this.#recent.push(workMs)
    else this.#recent[this.#next] = workMs
    this.#next = (this.#next + 1) % WINDOW
  }

  /** After a failed attempt whose comparisons took `workMs` each: waits out the rest of the floor. */
  async padFailure(workMs: readonly number[]): Promise<void> {
    for (const ms of workMs) this.record(ms)
    const floor = Math.max(...this.#recent)
    const rest = floor * workMs.length - workMs.reduce((sum, ms) => sum + ms, 0)
    if (rest > 1) await sleep(rest)
  }
}
