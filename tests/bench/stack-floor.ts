import bcrypt from 'bcryptjs'
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/mysql2'
import { Hono } from 'hono'
import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { z } from 'zod'

/*
 * The memory floor of the benchmark: the stack taproom is built on and
 * nothing of taproom. Hono on Bun serving a constant page, ioredis connected
 * to Redis, mysql2 with Drizzle connected to MySQL, zod and bcryptjs loaded
 * and used once. Its RSS at rest is what any app on this stack starts from,
 * measured beside the app's in the same run.
 */
const [port = '0', redisUrl = 'redis://127.0.0.1:6379', databaseUrl = 'mysql://root@127.0.0.1:3306/test'] =
  process.argv.slice(2)

const redis = new Redis(redisUrl)
await redis.ping()
const pool = mysql.createPool({ uri: databaseUrl, connectionLimit: 10 })
await drizzle(pool).execute(sql`select 1`)
z.object({ email: z.email() }).parse({ email: 'floor@example.com' })
bcrypt.hashSync('floor', 4)

const PAGE = `<!doctype html><html><body><p>${'x'.repeat(1024 - 42)}</p></body></html>`
const app = new Hono().get('/', (c) => c.html(PAGE))
const server = Bun.serve({ port: Number(port), hostname: '127.0.0.1', fetch: app.fetch })
console.log(`stack floor listening on ${server.port}`)
process.on('SIGTERM', () => {
  void Promise.all([server.stop(true), redis.quit(), pool.end()]).then(() => process.exit(0))
})
