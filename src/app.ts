import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import type { AppEnv } from './app-env.ts'
import type { AuditLog } from './audit.ts'
import type { Authenticator } from './auth/authenticator.ts'
import type { PasswordHasher } from './auth/password-hasher.ts'
import type { LoginThrottle } from './auth/throttle.ts'
import type { Beer } from './beer/generator.ts'
import type { UserRepository } from './db/users.ts'
import type { Config } from './env.ts'
import { clientIp, type SocketAddress } from './http/client-ip.ts'
import { csrfProtection } from './http/csrf.ts'
import { errorHandler, notFound } from './http/error-handler.tsx'
import { formBodyGuard } from './http/form.ts'
import { securityHeaders } from './http/security-headers.ts'
import { staticAssets } from './http/static-assets.ts'
import { accountRoutes } from './routes/account.tsx'
import { authRoutes } from './routes/auth.tsx'
import { healthRoutes, type ReadinessCheck } from './routes/health.ts'
import { homeRoutes } from './routes/home.tsx'
import { howItWorksRoutes } from './routes/how-it-works.tsx'
import { signupRoutes } from './routes/signup.tsx'
import { session } from './session/middleware.ts'
import type { SessionContext } from './session/request-session.ts'

export type AppDeps = {
  config: Config
  sessions: SessionContext
  authenticator: Authenticator
  throttle: LoginThrottle
  users: UserRepository
  hasher: PasswordHasher
  pourBeer: () => Promise<Beer>
  audit: AuditLog
  readiness: Record<string, ReadinessCheck>
  socketAddress: SocketAddress
  logError?: (line: string) => void
  now?: () => number
}

/**
 * Builds the whole app from its dependencies. It never binds a port: the entry
 * files (Bun or Node) serve it, and tests call app.request() or serve it themselves.
 */
export function createApp(deps: AppDeps) {
  const now = deps.now ?? Date.now
  const { config } = deps

  const app = new Hono<AppEnv>()
  app.onError(errorHandler(deps.logError))
  app.notFound(notFound)

  // Static files and health checks come first: they need no session and
  // cost no Redis command.
  app.route('/', staticAssets)
  app.route('/', healthRoutes(deps.readiness))

  app.use(requestId())
  app.use(securityHeaders({ hsts: config.session.cookieSecure }))
  app.use(clientIp({ trustProxy: config.trustProxy, socketAddress: deps.socketAddress }))
  app.use(formBodyGuard())
  app.use(session(deps.sessions))
  app.use(csrfProtection({ trustProxy: config.trustProxy }))

  app.route('/', homeRoutes({ pourBeer: deps.pourBeer, now, secureCookies: config.session.cookieSecure }))
  app.route('/', authRoutes({ authenticator: deps.authenticator, audit: deps.audit, now }))
  app.route('/', signupRoutes({ users: deps.users, hasher: deps.hasher, throttle: deps.throttle, audit: deps.audit }))
  app.route(
    '/',
    accountRoutes({
      store: deps.sessions.store,
      authenticator: deps.authenticator,
      users: deps.users,
      hasher: deps.hasher,
      audit: deps.audit,
      now,
    }),
  )
  app.route('/', howItWorksRoutes({ sessions: deps.sessions, now }))
  return app
}
