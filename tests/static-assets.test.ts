import { describe, expect, test } from 'bun:test'
import { assetUrl, findAsset } from '../src/assets.ts'
import { staticAssets } from '../src/http/static-assets.ts'

const cacheControlOf = async (path: string) => (await staticAssets.request(path)).headers.get('cache-control')

describe('how long a static file may be kept', () => {
  test('the URL naming its content version forever; no version briefly; another version not at all', async () => {
    const current = assetUrl('styles.css')
    expect(current).toBe(`/static/styles.css?v=${findAsset('styles.css')!.version}`)
    expect(await cacheControlOf(current)).toBe('public, max-age=31536000, immutable')
    expect(await cacheControlOf('/static/styles.css')).toBe('public, max-age=300')
    // An instance still on old files, asked for the new version's URL, must not fill shared caches with them.
    expect(await cacheControlOf('/static/styles.css?v=0123456789')).toBe('no-store')
    expect(await cacheControlOf('/static/styles.css?v=')).toBe('no-store')
  })
})
