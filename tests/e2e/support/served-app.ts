import { createTestApp, type TestApp } from '../../support/test-app.ts'

export type ServedApp = TestApp & {
  baseUrl: string
  /** A new account with a verified address and `password`, named `<name>N@example.com`; its email. */
  createUser(name: string, password: string): Promise<string>
  close(): Promise<void>
}

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
  let users = 0
  return {
    ...t,
    baseUrl,
    async createUser(name, password) {
      const email = `${name}${++users}@example.com`
      await t.services.users.create(email, await t.services.hasher.hash(password), { verifiedAt: new Date() })
      return email
    },
    async close() {
      await server.stop(true)
      await t.cleanup()
    },
  }
}
