import { Hono } from 'hono'
import type { ActivityLog } from './activity/activity-log.ts'
import type { AppEnv } from './app-env.ts'
import type { AuditLog } from './audit.ts'
import type { Authenticator } from './auth/authenticator.ts'
import type { CredentialGate } from './auth/credential-gate.ts'
import type { DeviceCookies } from './auth/device-cookie.ts'
import type { EmailHash } from './auth/email-hash.ts'
import type { NewPasswordCheck } from './auth/new-password.ts'
import type { Passkeys } from './auth/passkeys.ts'
import type { PasswordHasher } from './auth/password-hasher.ts'
import type { SecondFactors } from './auth/second-factors.ts'
import type { AttemptThrottle } from './auth/throttle.ts'
import type { Beer } from './beer/generator.ts'
import type { UserRepository } from './db/users.ts'
import type { Config } from './env.ts'
import { accessLog } from './http/access-log.ts'
import { clientIp, type SocketAddress } from './http/client-ip.ts'
import { csrfProtection } from './http/csrf.ts'
import { closeWhenDraining } from './http/draining.ts'
import { errorPages } from './http/error-handler.tsx'
import { formBodyGuard } from './http/form.ts'
import { personalAnswers } from './http/htmx.ts'
import { oneLayer } from './http/one-layer.ts'
import { securityHeaders } from './http/security-headers.ts'
import { staticAssets } from './http/static-assets.ts'
import type { Lifecycle } from './lifecycle.ts'
import type { Logger } from './log.ts'
import type { DevOutbox } from './mail/dev-outbox.ts'
import type { AccountRecovery } from './recovery/account-recovery.ts'
import type { SecurityNotices } from './recovery/notices.ts'
import { accountRoutes } from './routes/account.tsx'
import { accountEmailRoutes } from './routes/account-email.tsx'
import { activityRoutes } from './routes/activity.tsx'
import { authRoutes } from './routes/auth.tsx'
import { confirmRoutes } from './routes/confirm.tsx'
import { deleteAccountRoutes } from './routes/delete-account.tsx'
import { devMailRoutes } from './routes/dev-mail.tsx'
import { freshProofGuard } from './routes/fresh-proof.tsx'
import { healthRoutes, type ReadinessCheck } from './routes/health.ts'
import { homeRoutes } from './routes/home.tsx'
import { howItWorksRoutes } from './routes/how-it-works.tsx'
import { passwordResetRoutes } from './routes/password-reset.tsx'
import { SECOND_STEP_SECONDS, secondStepRoutes } from './routes/second-step.tsx'
import { securityRoutes } from './routes/security.tsx'
import { sessionExtendRoutes } from './routes/session-extend.tsx'
import { signupRoutes } from './routes/signup.tsx'
import type { Sessions } from './session/sessions.ts'
import { ErrorPage } from './views/pages/error.tsx'
import { SessionEndedFragment } from './views/partials/session-ended.tsx'

/** Every method but GET, HEAD and OPTIONS: the ones whose body is read and that need a CSRF token. */
const UNSAFE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE']

export type AppDeps = {
  config: Config
  sessions: Sessions
  authenticator: Authenticator
  throttle: AttemptThrottle
  credentialGate: CredentialGate
  devices: DeviceCookies
  newPasswordCheck: NewPasswordCheck
  emailHash: EmailHash
  users: UserRepository
  hasher: PasswordHasher
  secondFactors: SecondFactors
  passkeys: Passkeys
  pourBeer: () => Promise<Beer>
  audit: AuditLog
  activity: ActivityLog
  recovery: AccountRecovery
  notices: SecurityNotices
  /** Present when mail goes to the in-memory dev outbox: GET /dev/mail shows it. */
  outbox?: DevOutbox
  readiness: Record<string, ReadinessCheck>
  lifecycle: Lifecycle
  socketAddress: SocketAddress
  logger: Logger
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
  const errors = errorPages({ page: ErrorPage, sessionEnded: SessionEndedFragment, logger: deps.logger, now })
  app.onError(errors.onError)
  app.notFound(errors.notFound)

  app.use(oneLayer(securityHeaders({ hsts: config.session.cookieSecure }), closeWhenDraining(deps.lifecycle)))
  // Static files and health checks come next: they need no session and cost
  // no Redis command.
  app.route('/', staticAssets)
  app.route('/', healthRoutes(deps.readiness, deps.lifecycle))

  // Everything below may carry the session (its CSRF token, its cookie) and
  // may answer an htmx request with a fragment.
  app.use(
    oneLayer(
      // Our own id for every request: a client's X-Request-Id is logged beside it, never as it.
      accessLog(deps.logger),
      personalAnswers(),
      clientIp({ trustProxy: config.trustProxy, socketAddress: deps.socketAddress }),
    ),
  )
  // Registered for the unsafe methods only, so a page view does not pass through them.
  app.on(UNSAFE_METHODS, '*', formBodyGuard())
  app.use(deps.sessions.middleware)
  app.on(UNSAFE_METHODS, '*', csrfProtection({ appOrigin: config.appUrlGiven ? config.appUrl : undefined }))

  const lifetimes = { idleSeconds: deps.sessions.idleSeconds, absoluteSeconds: deps.sessions.absoluteSeconds }
  const proof = {
    maxAgeSeconds: config.reauthSeconds,
    lifetimes,
    now,
    factors: (userId: string) => deps.secondFactors.summary(userId),
  }
  const requireFreshProof = freshProofGuard(proof)

  app.route('/', homeRoutes({ pourBeer: deps.pourBeer, lifetimes, now, secureCookies: config.session.cookieSecure }))
  app.route(
    '/',
    authRoutes({
      authenticator: deps.authenticator,
      credentialGate: deps.credentialGate,
      emailHash: deps.emailHash,
      devices: deps.devices,
      secondFactors: deps.secondFactors,
      audit: deps.audit,
      now,
      secondStepSeconds: SECOND_STEP_SECONDS,
      recovery: deps.recovery,
      notices: deps.notices,
    }),
  )
  app.route(
    '/',
    secondStepRoutes({
      sessions: deps.sessions,
      devices: deps.devices,
      users: deps.users,
      throttle: deps.throttle,
      secondFactors: deps.secondFactors,
      passkeys: deps.passkeys,
      notices: deps.notices,
      recovery: deps.recovery,
      audit: deps.audit,
      now,
    }),
  )
  app.route('/', signupRoutes(deps))
  app.route(
    '/',
    passwordResetRoutes({
      recovery: deps.recovery,
      notices: deps.notices,
      sessions: deps.sessions,
      hasher: deps.hasher,
      throttle: deps.throttle,
      credentialGate: deps.credentialGate,
      devices: deps.devices,
      newPasswordCheck: deps.newPasswordCheck,
      secondFactors: deps.secondFactors,
      audit: deps.audit,
      passwordResetSeconds: config.passwordResetSeconds,
      secondStepSeconds: SECOND_STEP_SECONDS,
      now,
    }),
  )
  app.route(
    '/',
    accountRoutes({
      sessions: deps.sessions,
      authenticator: deps.authenticator,
      users: deps.users,
      hasher: deps.hasher,
      credentialGate: deps.credentialGate,
      devices: deps.devices,
      newPasswordCheck: deps.newPasswordCheck,
      audit: deps.audit,
      requireFreshProof,
      needsCode: (userId: string) => deps.secondFactors.appOn(userId),
      recovery: deps.recovery,
      notices: deps.notices,
      now,
    }),
  )
  app.route(
    '/',
    confirmRoutes({
      authenticator: deps.authenticator,
      credentialGate: deps.credentialGate,
      devices: deps.devices,
      audit: deps.audit,
      proof,
      secondFactors: deps.secondFactors,
      passkeys: deps.passkeys,
      throttle: deps.throttle,
      users: deps.users,
      notices: deps.notices,
      sessions: deps.sessions,
      recovery: deps.recovery,
    }),
  )
  app.route(
    '/',
    deleteAccountRoutes({
      users: deps.users,
      sessions: deps.sessions,
      audit: deps.audit,
      requireFreshProof,
      notices: deps.notices,
      recovery: deps.recovery,
      logger: deps.logger,
      lifetimes,
      now,
    }),
  )
  app.route('/', sessionExtendRoutes({ lifetimes, now }))
  app.route(
    '/',
    accountEmailRoutes({
      recovery: deps.recovery,
      notices: deps.notices,
      sessions: deps.sessions,
      audit: deps.audit,
      requireFreshProof,
      lifetimes,
      now,
    }),
  )
  app.route(
    '/',
    securityRoutes({
      sessions: deps.sessions,
      secondFactors: deps.secondFactors,
      passkeys: deps.passkeys,
      notices: deps.notices,
      recovery: deps.recovery,
      audit: deps.audit,
      requireFreshProof,
      reauthSeconds: config.reauthSeconds,
      now,
    }),
  )
  app.route('/', activityRoutes({ activity: deps.activity, retentionDays: config.authEventsDays, lifetimes, now }))
  app.route('/', howItWorksRoutes({ sessions: deps.sessions, now }))
  if (deps.outbox && config.nodeEnv !== 'production')
    app.route('/', devMailRoutes(deps.outbox, { trustProxy: config.trustProxy }))
  return app
}
