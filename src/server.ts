import { getConnInfo } from 'hono/bun'
import { createApp } from './app.ts'
import { prepareOrExit, shutdownOnSignals } from './boot.ts'
import { wireDependencies } from './deps.ts'
import { loadConfig } from './env.ts'

const config = loadConfig()
const services = wireDependencies(config, {
  workerUrl: new URL('./auth/bcrypt-worker.ts', import.meta.url),
  socketAddress: (c) => getConnInfo(c).remote.address,
})
await prepareOrExit(config, services)

const app = createApp(services.deps)
const server = Bun.serve({ port: config.port, hostname: config.host, fetch: app.fetch })
services.logger.info(`listening on http://${server.hostname}:${server.port} (Bun ${Bun.version}, ${config.nodeEnv})`)

shutdownOnSignals(config, services, (force) => server.stop(force))
