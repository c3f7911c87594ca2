import type { RedisClient } from '../../src/redis/client.ts'

/**
 * Commands Redis has executed so far (all nodes of a cluster), from INFO
 * commandstats, leaving out the INFO calls this measurement itself makes.
 */
export async function commandCount(redis: RedisClient): Promise<number> {
  const nodes = 'nodes' in redis && typeof redis.nodes === 'function' ? redis.nodes('master') : [redis]
  let total = 0
  for (const node of nodes) {
    const info = await node.info('commandstats')
    for (const match of info.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+)/gm)) {
      if (match[1] !== 'info') total += Number(match[2])
    }
  }
  return total
}

/** EVALSHA and plain commands issued from the client side, i.e. round trips, while `action` runs. */
export async function roundTrips(redis: RedisClient, action: () => Promise<unknown>): Promise<number> {
  let count = 0
  const original = redis.sendCommand
  const send = original.bind(redis) as (...args: unknown[]) => unknown
  redis.sendCommand = ((...args: unknown[]) => {
    count++
    return send(...args)
  }) as typeof redis.sendCommand
  try {
    await action()
  } finally {
    redis.sendCommand = original
  }
  return count
}
