/**
 * A timed comparison's own test timeout: on a busy machine a starved bcrypt
 * worker slows every later round (failures are padded to the slowest recent
 * run), which takes longer but compares the same.
 */
export const TIMED_TEST_MS = 120_000

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!

/** How far apart two durations are, as a share of the longer one. */
export const relativeGap = (x: number, y: number) => Math.abs(x - y) / Math.max(x, y)

type Timed = (i: number) => Promise<unknown>

/**
 * Times `pairs` runs of each of two requests, alternating which goes first so
 * neither side always follows the other. `before` runs untimed ahead of each
 * one: the place to wait until the work an earlier request left behind is done.
 */
export async function timeAlternately(
  pairs: number,
  [first, second]: [Timed, Timed],
  before: () => Promise<unknown> = async () => {},
): Promise<[number[], number[]]> {
  const samples: [number[], number[]] = [[], []]
  const timed = async (side: 0 | 1, i: number) => {
    await before()
    const start = performance.now()
    await (side === 0 ? first : second)(i)
    samples[side].push(performance.now() - start)
  }
  for (let i = 0; i < pairs; i++) {
    const order = i % 2 ? ([1, 0] as const) : ([0, 1] as const)
    for (const side of order) await timed(side, i)
  }
  return samples
}
