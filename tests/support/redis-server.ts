import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

const HOST = '127.0.0.1'
const READY_TIMEOUT_MS = 10_000

/** A port nobody listens on right now, as the kernel hands them out. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, HOST, resolve))
  const address = server.address()
  await new Promise((resolve) => server.close(resolve))
  if (!address || typeof address === 'string') throw new Error('no port assigned')
  return address.port
}

/** Runs one command through redis-cli and returns what it printed ('' when nothing answered). */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const cli = Bun.spawn(['redis-cli', '-h', HOST, '-p', String(port), ...args], { stdout: 'pipe', stderr: 'ignore' })
  const [output, code] = await Promise.all([new Response(cli.stdout).text(), cli.exited])
  return code === 0 ? output : ''
}

/** Polls `check` until it holds, failing after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = READY_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(25)
  }
}

export type RedisServer = {
  readonly port: number
  readonly url: string
  /** Whether the process is running (it may be paused). */
  readonly running: boolean
  /** Starts redis-server on this port and waits until it answers PING. */
  start(): Promise<void>
  /** Kills the process (as a crash would) and waits for it to be gone. */
  stop(): Promise<void>
  /** Freezes the process: connections stay open but nothing answers. */
  pause(): void
  resume(): void
}

/**
 * A private, throwaway redis-server on a loopback port, without persistence,
 * for tests that break Redis without disturbing the shared one.
 */
export function redisServer(port: number, extraArgs: string[] = []): RedisServer {
  let child: Subprocess | undefined
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null
  return {
    port,
    url: `redis://${HOST}:${port}`,
    get running() {
      return running()
    },
    async start() {
      if (running()) throw new Error(`redis-server on ${port} is already running`)
      child = Bun.spawn(
        [
          'redis-server',
          '--port',
          String(port),
          '--bind',
          HOST,
          '--save',
          '',
          '--appendonly',
          'no',
          '--daemonize',
          'no',
          // Replication and cluster files go to a temporary directory, never the working one.
          '--dir',
          tmpdir(),
          ...extraArgs,
        ],
        { stdout: 'ignore', stderr: 'ignore' },
      )
      await waitFor(`redis-server on ${port}`, async () => {
        if (!running()) throw new Error(`redis-server on ${port} exited at startup`)
        return (await redisCli(port, 'PING')).trim() === 'PONG'
      })
    },
    async stop() {
      if (!child) return
      child.kill('SIGKILL')
      await child.exited
      child = undefined
    },
    pause() {
      child?.kill('SIGSTOP')
    },
    resume() {
      child?.kill('SIGCONT')
    },
  }
}

/** Starts a private redis-server on a spare port. */
export async function startRedisServer(extraArgs: string[] = []): Promise<RedisServer> {
  const server = redisServer(await freePort(), extraArgs)
  await server.start()
  return server
}

export type RedisCluster = {
  readonly servers: RedisServer[]
  /** The REDIS_CLUSTER_NODES value: host:port of every master. */
  readonly nodes: string
  stop(): Promise<void>
}

/**
 * A local Redis Cluster of `masters` nodes without replicas, created with
 * `redis-cli --cluster create`, ready once every node reports cluster_state:ok.
 */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'taproom-cluster-'))
  const servers: RedisServer[] = []
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()))
    await rm(dir, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort()
      const server = redisServer(port, [
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout',
        '2000',
        '--dir',
        dir,
      ])
      servers.push(server)
      await server.start()
    }
    const create = Bun.spawn(
      [
        'redis-cli',
        '--cluster',
        'create',
        ...servers.map((server) => `${HOST}:${server.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { stdout: 'pipe', stderr: 'pipe' },
    )
    if ((await create.exited) !== 0) {
      throw new Error(`redis-cli --cluster create failed: ${await new Response(create.stdout).text()}`)
    }
    await waitFor('cluster_state:ok on every node', async () => {
      const states = await Promise.all(servers.map((server) => redisCli(server.port, 'CLUSTER', 'INFO')))
      return states.every((state) => state.includes('cluster_state:ok'))
    })
    return { servers, nodes: servers.map((server) => `${HOST}:${server.port}`).join(','), stop }
  } catch (error) {
    await stop()
    throw error
  }
}

export type RedisSentinel = {
  readonly port: number
  readonly master: RedisServer
  readonly replica: RedisServer
  readonly name: string
  /** The REDIS_SENTINELS value. */
  readonly sentinels: string
  stop(): Promise<void>
}

/**
 * A master, one replica and one sentinel (`redis-server --sentinel`) watching
 * them under `name`, with a quorum of one so the single sentinel may fail over.
 */
export async function startRedisSentinel(name = 'taproom'): Promise<RedisSentinel> {
  const dir = await mkdtemp(join(tmpdir(), 'taproom-sentinel-'))
  // After a failover the old master resyncs as a replica: its files go to `dir` too.
  const master = redisServer(await freePort(), ['--repl-diskless-sync-delay', '0', '--dir', dir])
  const replica = redisServer(await freePort(), ['--dir', dir])
  const port = await freePort()
  let sentinel: Subprocess | undefined
  const stop = async () => {
    sentinel?.kill('SIGKILL')
    await Promise.all([sentinel?.exited, master.stop(), replica.stop()])
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await master.start()
    await replica.start()
    await redisCli(replica.port, 'REPLICAOF', HOST, String(master.port))
    const conf = join(dir, 'sentinel.conf')
    await writeFile(
      conf,
      [
        `port ${port}`,
        `bind ${HOST}`,
        `dir ${dir}`,
        `sentinel monitor ${name} ${HOST} ${master.port} 1`,
        `sentinel down-after-milliseconds ${name} 1000`,
        `sentinel failover-timeout ${name} 5000`,
        '',
      ].join('\n'),
    )
    sentinel = Bun.spawn(['redis-server', conf, '--sentinel'], { stdout: 'ignore', stderr: 'ignore' })
    await waitFor('the replica to sync', async () =>
      (await redisCli(replica.port, 'INFO', 'replication')).includes('master_link_status:up'),
    )
    await waitFor('the sentinel to know its master', async () =>
      (await redisCli(port, 'SENTINEL', 'get-master-addr-by-name', name)).includes(String(master.port)),
    )
    await waitFor('the sentinel to see the replica in sync', async () => {
      const replicas = await redisCli(port, 'SENTINEL', 'REPLICAS', name)
      return replicas.includes(String(replica.port)) && /master-link-status\nok/.test(replicas)
    })
    return { port, master, replica, name, sentinels: `${HOST}:${port}`, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
