import type { RedisClient } from './client.ts'

/** Thrown when Redis may evict keys the app relies on; its message says what to change. */
export class EvictionPolicyError extends Error {
  override name = 'EvictionPolicyError'
  readonly policies: string[]
  /** What readiness reports. */
  readonly reason: string

  constructor(policies: string[]) {
    super(
      `Redis maxmemory-policy is ${policies.join(', ')}: a full Redis would evict sessions' user indexes and ` +
        'throttle counters (so "log out everywhere" misses sessions and login limits reset). ' +
        'Set maxmemory-policy noeviction, or REDIS_ALLOW_EVICTION=true to run anyway.',
    )
    this.policies = policies
    this.reason = `evicting (maxmemory-policy ${policies.join(', ')})`
  }
}

/**
 * The maxmemory-policy of every master (one for a single server or Sentinel,
 * one per master on a Cluster), read from INFO memory, which the app's ACL
 * user may run (CONFIG it may not).
 */
export async function evictionPolicies(redis: RedisClient): Promise<string[]> {
  const nodes = 'nodes' in redis && typeof redis.nodes === 'function' ? redis.nodes('master') : [redis]
  const infos = await Promise.all(nodes.map((node) => node.info('memory')))
  return infos.map((info) => /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'unknown')
}

/**
 * Resolves when no master may evict keys (`noeviction`); otherwise rejects
 * with an EvictionPolicyError naming the policies found.
 */
export async function assertNoEviction(redis: RedisClient): Promise<void> {
  const evicting = [...new Set((await evictionPolicies(redis)).filter((policy) => policy !== 'noeviction'))]
  if (evicting.length > 0) throw new EvictionPolicyError(evicting)
}
