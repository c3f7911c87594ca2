import { Hono } from 'hono'

/*
 * The ceiling of the benchmark: the same runtime and framework as the app, on
 * the same core, answering a constant 1 KB page with no session, no Redis and
 * no rendering. Every app figure is given as a share of what this serves.
 */
const PAGE = `<!doctype html><html><body><p>${'x'.repeat(1024 - 42)}</p></body></html>`

const port = Number(process.argv[2] ?? 0)
const app = new Hono().get('/', (c) => c.html(PAGE))
const server = Bun.serve({ port, hostname: '127.0.0.1', fetch: app.fetch })
console.log(`ceiling listening on ${server.port}`)
process.on('SIGTERM', () => {
  void server.stop(true).then(() => process.exit(0))
})
