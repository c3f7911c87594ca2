import { Hono } from 'hono'
import { findAsset } from '../assets.ts'

/** GET /static/:name — no session, no Redis. */
export const staticAssets = new Hono().get('/static/:name', (c) => {
  const asset = findAsset(c.req.param('name'))
  if (!asset) return c.text('Not found', 404)
  const immutable = c.req.query('v') === asset.version
  c.header('Content-Type', asset.type)
  c.header('ETag', asset.etag)
  c.header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=300')
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304)
  return c.body(asset.body)
})
