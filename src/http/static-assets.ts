import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Hono } from 'hono'
import { HTMX_FILE, PUBLIC_DIR } from '../paths.ts'

type Asset = { body: Uint8Array<ArrayBuffer>; type: string; etag: string; version: string }

const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  txt: 'text/plain; charset=utf-8',
}

function load(path: string): Asset {
  const body = Uint8Array.from(readFileSync(path))
  const version = createHash('sha256').update(body).digest('base64url').slice(0, 12)
  const extension = path.slice(path.lastIndexOf('.') + 1)
  return { body, type: TYPES[extension] ?? 'application/octet-stream', etag: `"${version}"`, version }
}

/*
 * The handful of static files are read once at startup and served from memory,
 * the same way on Bun and on Node; htmx comes from its npm package, never a CDN.
 */
const assets = new Map<string, Asset>([['htmx.min.js', load(HTMX_FILE)]])
for (const name of readdirSync(PUBLIC_DIR)) assets.set(name, load(join(PUBLIC_DIR, name)))

/** The URL of a static file, versioned by its content so it can be cached forever. */
export function assetUrl(name: string): string {
  const asset = assets.get(name)
  if (!asset) throw new Error(`no static asset named ${name}`)
  return `/static/${name}?v=${asset.version}`
}

/** GET /static/:name — no session, no Redis. */
export const staticAssets = new Hono().get('/static/:name', (c) => {
  const asset = assets.get(c.req.param('name'))
  // Plain text, not the HTML 404 page: this router runs before the security
  // headers, which every HTML response must carry.
  if (!asset) return c.text('Not found', 404, { 'X-Content-Type-Options': 'nosniff' })
  const immutable = c.req.query('v') === asset.version
  c.header('Content-Type', asset.type)
  c.header('ETag', asset.etag)
  c.header('X-Content-Type-Options', 'nosniff')
  c.header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=300')
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304)
  return c.body(asset.body)
})
