import { createTestApp, type TestApp } from '../../support/test-app.ts'

export type ServedApp = TestApp & { baseUrl: string; close(): Promise<void> }

/** The real app on real Redis and MariaDB, listening on a free loopback port for a real browser. */
export async function serveTestApp(label: string, env: Record<string, string> = {}): Promise<ServedApp> {
  const t = await createTestApp(label, env)
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (request, bunServer) => t.app.fetch(request, bunServer),
  })
  return {
    ...t,
    baseUrl: `http://127.0.0.1:${server.port}`,
    async close() {
      await server.stop(true)
      await t.cleanup()
    },
  }
}
