import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { HTMX_FILE, PUBLIC_DIR, WEBAUTHN_BROWSER_FILE } from './paths.ts'

export type Asset = { body: Uint8Array<ArrayBuffer>; type: string; etag: string; version: string }

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
 * the same way on Bun and on Node; htmx and the WebAuthn browser library come
 * from their npm packages, never a CDN.
 * The views link to them and http/static-assets.ts serves them: both read this
 * one catalogue, so neither layer imports the other.
 */
const assets = new Map<string, Asset>([
  ['htmx.min.js', load(HTMX_FILE)],
  ['webauthn.min.js', load(WEBAUTHN_BROWSER_FILE)],
])
for (const name of readdirSync(PUBLIC_DIR)) assets.set(name, load(join(PUBLIC_DIR, name)))

/** The static file of that name, or undefined. */
export function findAsset(name: string): Asset | undefined {
  return assets.get(name)
}

/** The URL of a static file, versioned by its content so it can be cached forever. */
export function assetUrl(name: string): string {
  const asset = assets.get(name)
  if (!asset) throw new Error(`no static asset named ${name}`)
  return `/static/${name}?v=${asset.version}`
}
