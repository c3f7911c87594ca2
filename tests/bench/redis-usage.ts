import type { Redis } from 'ioredis'

type Snapshot = { commands: Map<string, number>; reads: number }

/** What Redis has executed and read so far. INFO itself is left out of the command counts. */
async function snapshot(redis: Redis): Promise<Snapshot> {
  const info = (await redis.call('INFO', 'stats', 'commandstats')) as string
  const commands = new Map<string, number>()
  for (const [, name, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (name !== 'info') commands.set(name!, Number(calls))
  }
  const reads = Number(info.match(/^total_reads_processed:(\d+)/m)?.[1] ?? Number.NaN)
  return { commands, reads }
}

export type RedisCost = {
  requests: number
  /** Commands executed per request, those run inside Lua scripts included. */
  commands: number
  /** Reads of client data per request: with requests sent one at a time, one per round trip. */
  roundTrips: number
  /** Commands per request, by name. */
  byCommand: Record<string, number>
}

const BLOCKS = 10

/** What Redis executed and read between two snapshots, per request. */
function costBetween(before: Snapshot, after: Snapshot, requests: number): RedisCost {
  const byCommand: Record<string, number> = {}
  let commands = 0
  for (const [name, calls] of after.commands) {
    const delta = calls - (before.commands.get(name) ?? 0)
    if (delta > 0) {
      byCommand[name] = round(delta / requests)
      commands += delta
    }
  }
  return {
    requests,
    commands: round(commands / requests),
    roundTrips: round((after.reads - before.reads - 1) / requests),
    byCommand,
  }
}

/**
 * Redis cost of `requests` requests sent one after another, from INFO deltas
 * on a Redis server no other program uses (the one read of each closing INFO
 * is subtracted). The app's own background work (the mail queue's worker
 * polls now and then) shares that server, so the requests are sent in ten
 * blocks and the block of median cost counts: a poll that lands in a block or
 * two cannot pass for a cost of every request.
 */
export async function redisCost(
  redis: Redis,
  requests: number,
  send: (i: number) => Promise<void>,
): Promise<RedisCost> {
  const blocks: RedisCost[] = []
  const size = Math.max(1, Math.floor(requests / BLOCKS))
  for (let start = 0; start < requests; start += size) {
    const count = Math.min(size, requests - start)
    const before = await snapshot(redis)
    for (let i = start; i < start + count; i++) await send(i)
    blocks.push(costBetween(before, await snapshot(redis), count))
  }
  blocks.sort((a, b) => a.commands - b.commands || a.roundTrips - b.roundTrips)
  return { ...blocks[Math.floor((blocks.length - 1) / 2)]!, requests }
}

export type SessionMemory = {
  sessions: number
  bytesPerSession: number
  encoding: string | null
  sampleKeyBytes: number | null
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory')
  return Number(info.match(/^used_memory:(\d+)/m)?.[1])
}

/** used_memory once it holds still (incremental rehashing and lazy frees settle within a second or so). */
async function settledMemory(redis: Redis): Promise<number> {
  let previous = await usedMemory(redis)
  for (let i = 0; i < 25; i++) {
    await Bun.sleep(200)
    const current = await usedMemory(redis)
    if (Math.abs(current - previous) <= previous * 0.0005) return current
    previous = current
  }
  return previous
}

/**
 * Redis memory per anonymous session: the used_memory delta over the keys
 * `create` adds (an idle, private Redis: every new key is a session), with the
 * encoding and MEMORY USAGE of one of them.
 */
export async function sessionMemory(
  redis: Redis,
  keyPattern: string,
  create: () => Promise<void>,
): Promise<SessionMemory> {
  const keysBefore = await redis.dbsize()
  const memoryBefore = await settledMemory(redis)
  await create()
  const memoryAfter = await settledMemory(redis)
  const sessions = (await redis.dbsize()) - keysBefore
  const [, sample] = await redis.scan('0', 'MATCH', keyPattern, 'COUNT', 1000)
  const key = sample[0]
  return {
    sessions,
    bytesPerSession: sessions > 0 ? round((memoryAfter - memoryBefore) / sessions) : Number.NaN,
    encoding: key ? ((await redis.object('ENCODING', key)) as string | null) : null,
    sampleKeyBytes: key ? await redis.memory('USAGE', key) : null,
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}
