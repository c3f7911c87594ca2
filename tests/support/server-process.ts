import type { Subprocess } from 'bun'
import { freePort, type RedisServer, startRedisServer, waitFor } from './redis-server.ts'
import { dropDatabase, isolation, SERVER_URL, TEST_SECRET } from './test-app.ts'

const ROOT = new URL('../../', import.meta.url).pathname
const BUN = `${ROOT}node_modules/.bin/bun`

export type ServerProcess = {
  readonly url: string
  readonly child: Subprocess<'ignore', 'pipe', 'pipe'>
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  /** Resolves once the output matches `pattern`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>
  /** Resolves once GET /readyz answers 200. */
  waitUntilReady(timeoutMs?: number): Promise<void>
  /** Kills the process if it still runs and waits for it. */
  kill(): Promise<void>
}

/**
 * `bun src/server.ts` as production runs it (or `command`, e.g. the Node
 * build), on `port`, with only the environment given here (plus test
 * defaults), so nothing leaks in from the shell running the tests.
 */
export function startServerProcess(
  port: number,
  env: Record<string, string>,
  command = [BUN, 'src/server.ts'],
): ServerProcess {
  let log = ''
  const child = Bun.spawn(command, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      SESSION_SECRET: TEST_SECRET,
      BCRYPT_COST: '4',
      // Every test client comes from one loopback address; tests of the limit set their own.
      NEW_SESSIONS_PER_IP_PER_MINUTE: '1000000',
      BCRYPT_WORKERS: '2',
      ...env,
    },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const decoder = new TextDecoder()
  for (const stream of [child.stdout, child.stderr]) {
    void (async () => {
      for await (const chunk of stream) log += decoder.decode(chunk, { stream: true })
    })()
  }
  const url = `http://127.0.0.1:${port}`
  const alive = () => {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${log}`)
  }
  return {
    url,
    child,
    output: () => log,
    waitForOutput: (pattern, timeoutMs) =>
      waitFor(
        `server output ${pattern}`,
        () => {
          if (pattern.test(log)) return true
          alive()
          return false
        },
        timeoutMs,
      ),
    waitUntilReady: (timeoutMs) =>
      waitFor(
        'the server to be ready',
        async () => {
          alive()
          return fetch(`${url}/readyz`).then(
            (response) => response.ok,
            () => false,
          )
        },
        timeoutMs,
      ),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await child.exited
    },
  }
}

export type ServerOnOwnRedis = {
  readonly server: ServerProcess
  /** The server's private redis-server, for the test to stop, freeze or fill. */
  readonly redis: RedisServer
  /** Ends the server and its redis-server and drops its database. */
  stop(): Promise<void>
}

/**
 * `bun src/server.ts`, ready, on a private redis-server of its own and with a
 * key prefix and database no other test file uses: for tests that break Redis
 * under a real server process.
 */
export async function startServerOnOwnRedis(
  label: string,
  env: Record<string, string> = {},
): Promise<ServerOnOwnRedis> {
  const { prefix, database } = isolation(label)
  const redis = await startRedisServer()
  const server = startServerProcess(await freePort(), {
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    DATABASE_URL: `${SERVER_URL}/${database}`,
    ...env,
  })
  await server.waitUntilReady()
  return {
    server,
    redis,
    async stop() {
      redis.resume()
      await server.kill()
      await redis.stop()
      await dropDatabase(database)
    },
  }
}
