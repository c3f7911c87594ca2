import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { dropDatabase, isolation, redisEnv, SERVER_URL, TEST_SECRET } from './test-app.ts'

/** A free loopback port, found by letting the OS pick one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

export type SpawnedServer = {
  url: string
  process: ReturnType<typeof Bun.spawn>
  output: () => string
  stop: (signal?: NodeJS.Signals) => Promise<number>
  cleanup: () => Promise<void>
  prefix: string
}

/** Starts a real server process (`command`) on a free port with its own prefix and database, and waits until /readyz says ready. */
export async function spawnServer(command: string[], label: string, env: Record<string, string> = {}): Promise<SpawnedServer> {
  const { prefix, database } = isolation(label)
  const port = await freePort()
  let log = ''
  const child = Bun.spawn(command, {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_PREFIX: prefix,
      DATABASE_URL: `${SERVER_URL}/${database}`,
      SESSION_SECRET: TEST_SECRET,
      BCRYPT_COST: '4',
      ...redisEnv(),
      ...env,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const decoder = new TextDecoder()
  for (const stream of [child.stdout, child.stderr]) {
    void (async () => {
      for await (const chunk of stream) log += decoder.decode(chunk)
    })()
  }
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${log}`)
    const ready = await fetch(`${url}/readyz`).then((response) => response.ok, () => false)
    if (ready) break
    if (Date.now() > deadline) {
      child.kill()
      throw new Error(`server not ready within 30 s:\n${log}`)
    }
    await Bun.sleep(100)
  }
  return {
    url,
    prefix,
    process: child,
    output: () => log,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal)
      return child.exited
    },
    async cleanup() {
      if (child.exitCode === null) {
        child.kill('SIGKILL')
        await child.exited
      }
      await dropDatabase(database)
      const { Redis } = await import('ioredis')
      const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
      const keys = await redis.keys(`${prefix}*`)
      if (keys.length > 0) await redis.del(...keys)
      redis.disconnect()
    },
  }
}

export const randomLabel = () => randomBytes(3).toString('hex')
