import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { createApp } from './app.ts'
import { prepareOrExit, shutdownOnSignals } from './boot.ts'
import { wireDependencies } from './deps.ts'
import { loadConfig } from './env.ts'

// Bundled by `npm run build:node` to dist/, next to dist/auth/bcrypt-worker.js.
const config = loadConfig()
const services = wireDependencies(config, {
  workerUrl: new URL('./auth/bcrypt-worker.js', import.meta.url),
  socketAddress: (c) => getConnInfo(c).remote.address,
})
await prepareOrExit(config, services)

const app = createApp(services.deps)
const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) =>
  services.logger.info(`listening on http://${info.address}:${info.port} (Node ${process.version}, ${config.nodeEnv})`),
)

shutdownOnSignals(
  config,
  services,
  (force) =>
    new Promise((resolve) => {
      if (force && 'closeAllConnections' in server) server.closeAllConnections()
      server.close(() => resolve())
    }),
)
