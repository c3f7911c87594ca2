import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { shutdownOnSignals, startApp } from './boot.ts'

// Bundled by `npm run build:node` to dist/, next to dist/auth/bcrypt-worker.js.
const { config, services, app } = await startApp({
  workerUrl: new URL('./auth/bcrypt-worker.js', import.meta.url),
  socketAddress: (c) => getConnInfo(c).remote.address,
})
const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) =>
  services.logger.info(`listening on http://${info.address}:${info.port} (Node ${process.version}, ${config.nodeEnv})`),
)
// Node's defaults let a slow client hold a connection for minutes: here a
// request's headers must arrive within 10 s and the whole request within 30 s,
// and an idle keep-alive connection closes after 10 s, as Bun's does.
if ('headersTimeout' in server) {
  server.headersTimeout = 10_000
  server.requestTimeout = 30_000
  server.keepAliveTimeout = 10_000
}

shutdownOnSignals(
  config,
  services,
  (force) =>
    new Promise((resolve) => {
      if (force && 'closeAllConnections' in server) server.closeAllConnections()
      server.close(() => resolve())
    }),
)
