import { createTestApp, type TestApp } from '../../support/test-app.ts'

export type ServedApp = TestApp & { baseUrl: string; close(): Promise<void> }

/**
 * The real app on real Redis and MariaDB, listening on a free loopback port for
 * a real browser; APP_URL is that address, so links in mail lead back to it.
 */
export async function serveTestApp(label: string, env: Record<string, string> = {}): Promise<ServedApp> {
  let app: TestApp['app'] | undefined
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (request, bunServer) => app!.fetch(request, bunServer),
  })
  const baseUrl = `http://127.0.0.1:${server.port}`
  const t = await createTestApp(label, { APP_URL: baseUrl, ...env })
  app = t.app
  return {
    ...t,
    baseUrl,
    async close() {
      await server.stop(true)
      await t.cleanup()
    },
  }
}
