import { Hono } from 'hono'
import { Redis } from 'ioredis'

/*
 * The ceiling of the benchmark: the same runtime and framework as the app, on
 * the same core, answering a constant 1 KB page with no session, no Redis and
 * no rendering. Every app figure is given as a share of what this serves.
 *
 * GET /redis (when a Redis URL is given) is the same page after one EVALSHA
 * through ioredis that reads a session-sized hash and its TTL, as a page view
 * does: the most any page that costs one Redis round trip can serve here.
 */
const PAGE = `<!doctype html><html><body><p>${'x'.repeat(1024 - 42)}</p></body></html>`
const READ_SESSION = "return {redis.call('pttl', KEYS[1]), redis.call('hgetall', KEYS[1])}"

const [port = '0', redisUrl, keyPrefix = 'tbench:'] = process.argv.slice(2)
const app = new Hono().get('/', (c) => c.html(PAGE))

if (redisUrl) {
  const redis = new Redis(redisUrl)
  const key = `${keyPrefix}bound`
  await redis.hset(key, { c: Date.now(), l: Date.now(), b: 7 })
  await redis.pexpire(key, 3_600_000)
  const sha = (await redis.script('LOAD', READ_SESSION)) as string
  app.get('/redis', async (c) => {
    await redis.evalsha(sha, 1, key)
    return c.html(PAGE)
  })
}

const server = Bun.serve({ port: Number(port), hostname: '127.0.0.1', fetch: app.fetch })
console.log(`ceiling listening on ${server.port}`)
process.on('SIGTERM', () => {
  void server.stop(true).then(() => process.exit(0))
})
