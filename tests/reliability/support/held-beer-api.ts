export const HELD_BEER = { name: 'Held Back Lager', style: 'Lager' }

/**
 * A beer-name API (BEER_API_URL) that holds every request until `release()`,
 * so a test knows exactly how many pours are in flight on the server.
 */
export function heldBeerApi() {
  let received = 0
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch() {
      received++
      await released
      return Response.json({ status: 'success', data: HELD_BEER })
    },
  })
  return {
    url: `http://127.0.0.1:${server.port}/beer`,
    /** How many requests have arrived so far. */
    received: () => received,
    release,
    stop: () => server.stop(true),
  }
}
