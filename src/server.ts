import { getConnInfo } from 'hono/bun'
import { shutdownOnSignals, startApp } from './boot.ts'

const { config, services, app } = await startApp({
  workerUrl: new URL('./auth/bcrypt-worker.ts', import.meta.url),
  socketAddress: (c) => getConnInfo(c).remote.address,
})
// Never Bun's own error page with its stack: the app answers every error itself.
const server = Bun.serve({ port: config.port, hostname: config.host, fetch: app.fetch, development: false })
services.logger.info(`listening on http://${server.hostname}:${server.port} (Bun ${Bun.version}, ${config.nodeEnv})`)

shutdownOnSignals(config, services, (force) => server.stop(force))
