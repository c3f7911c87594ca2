import { Hono } from 'hono'
import { findAsset } from '../assets.ts'

/** GET /static/:name — no session, no Redis. */
export const staticAssets = new Hono().get('/static/:name', (c) => {
  const asset = findAsset(c.req.param('name'))
  if (!asset) return c.text('Not found', 404)
  const version = c.req.query('v')
  c.header('Content-Type', asset.type)
  c.header('ETag', asset.etag)
  c.header('Cache-Control', cacheControlFor(version, asset.version))
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304)
  return c.body(asset.body)
})

/*
 * A URL naming this content's version never changes; one with no version may
 * be kept briefly. One naming another version is not stored at all: during a
 * rolling deploy an instance still on the old files would otherwise fill
 * shared caches with them under the new version's URL.
 */
function cacheControlFor(requested: string | undefined, current: string): string {
  if (requested === undefined) return 'public, max-age=300'
  return requested === current ? 'public, max-age=31536000, immutable' : 'no-store'
}
