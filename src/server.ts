import { getConnInfo } from 'hono/bun'
import { shutdownOnSignals, startApp } from './boot.ts'

const { config, services, app } = await startApp({
  workerUrl: new URL('./auth/bcrypt-worker.ts', import.meta.url),
  socketAddress: (c) => getConnInfo(c).remote.address,
})
const server = Bun.serve({ port: config.port, hostname: config.host, fetch: app.fetch })
services.logger.info(`listening on http://${server.hostname}:${server.port} (Bun ${Bun.version}, ${config.nodeEnv})`)

shutdownOnSignals(config, services, (force) => server.stop(force))
