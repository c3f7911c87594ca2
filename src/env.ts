import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { LOG_LEVELS, type LogLevel } from './log.ts'

const booleanString = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes')

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback)

/*
 * Browsers cap a cookie's Max-Age at 400 days, and Hono refuses to write a
 * longer one: the session cookie lives an hour past the absolute deadline, so
 * a longer deadline would fail every new session at request time.
 */
const MAX_SESSION_SECONDS = 400 * 24 * 60 * 60 - 3600

const secretList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((secret) => secret.trim())
      .filter(Boolean),
  )
  .refine((secrets) => secrets.length > 0, 'must hold at least one secret')

/** `host:port`, or `[ipv6]:port`. */
const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/

const hostPortList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((node) => node.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(
        z
          .string()
          .regex(HOST_PORT, 'must be a comma-separated list of host:port ([ipv6]:port for IPv6)')
          .transform((node) => {
            const [, ipv6, host, port] = HOST_PORT.exec(node)!
            return { host: (ipv6 ?? host)!, port: Number(port) }
          })
          .refine(({ port }) => port >= 1 && port <= 65535, 'has a port outside 1–65535'),
      )
      .min(1, 'must name at least one host:port'),
  )

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .url()
    .refine((url) => url.startsWith('mysql://'), 'must be a mysql:// URL')
    .default('mysql://root@127.0.0.1:3306/taproom'),
  REDIS_URL: z
    .string()
    .url()
    .refine((url) => /^rediss?:\/\//.test(url), 'must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: hostPortList.optional(),
  REDIS_SENTINELS: hostPortList.optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).default('mymaster'),
  REDIS_ALLOW_EVICTION: booleanString.default(false),
  REDIS_PREFIX: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9:_.-]+$/, 'may hold only letters, digits and : _ . -')
    .default('taproom:'),
  SESSION_SECRET: secretList.optional(),
  SESSION_IDLE_SECONDS: seconds(1800),
  SESSION_ABSOLUTE_SECONDS: seconds(12 * 60 * 60).pipe(
    z.number().max(MAX_SESSION_SECONDS, `at most ${MAX_SESSION_SECONDS} (400 days less the cookie's extra hour)`),
  ),
  MAX_SESSIONS_PER_USER: z.coerce.number().int().min(1).max(1000).default(50),
  SESSION_FIRST_VISIT_SECONDS: seconds(300),
  NEW_SESSIONS_PER_IP_PER_MINUTE: z.coerce.number().int().positive().default(60),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
  BCRYPT_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  COOKIE_SECURE: booleanString.optional(),
  ALLOW_INSECURE_COOKIES: booleanString.default(false),
  TRUST_PROXY: booleanString.default(false),
  LOGIN_MAX_FAILURES_PER_EMAIL_IP: z.coerce.number().int().positive().default(5),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().positive().default(50),
  LOGIN_THROTTLE_WINDOW_SECONDS: seconds(15 * 60),
  LOGIN_MAX_SUCCESSES_PER_IP: z.coerce.number().int().positive().default(100),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).max(100).default(100),
  LOGIN_MAX_FAILURES_PER_DEVICE: z.coerce.number().int().positive().default(10),
  LOGIN_MAX_SUCCESSES_PER_ACCOUNT: z.coerce.number().int().positive().default(30),
  LOGIN_ACCOUNT_WINDOW_SECONDS: seconds(24 * 60 * 60),
  LOGIN_MAX_CONCURRENT: z.coerce.number().int().min(1).max(10_000).optional(),
  PWNED_PASSWORDS_URL: z
    .string()
    .refine((value) => value === 'off' || /^https?:\/\/[^\s]+$/.test(value), 'must be an http(s) URL or off')
    .optional(),
  SEED_DEMO_USER: booleanString.optional(),
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().min(0).max(600).default(10),
  BEER_API_URL: z.string().url().optional(),
  SMTP_URL: z
    .string()
    .url()
    .refine((url) => /^smtps?:\/\//.test(url), 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().min(3).max(254).default('Taproom <no-reply@taproom.localhost>'),
  PASSWORD_RESET_SECONDS: z.coerce.number().int().min(60).max(86_400).default(1200),
  APP_URL: z
    .string()
    .url()
    .refine((url) => /^https?:\/\/[^/]+\/?$/.test(url), 'must be an http(s) origin, like https://taproom.example')
    .optional(),
  DATA_ENCRYPTION_KEY: secretList
    .refine(
      (keys) => keys.every((key) => /^[A-Za-z0-9+/_-]{43}=?$/.test(key)),
      'must be 32 random bytes in base64 (openssl rand -base64 32); to rotate, the new key first, a comma, then the old',
    )
    .optional(),
  REAUTH_SECONDS: seconds(600),
  AUTH_EVENTS_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
})

export type Config = {
  nodeEnv: 'development' | 'production' | 'test'
  port: number
  host: string
  databaseUrl: string
  redis: {
    url: string
    clusterNodes?: { host: string; port: number }[]
    sentinels?: { host: string; port: number }[]
    sentinelName: string
    prefix: string
    /** Run even when Redis may evict keys (maxmemory-policy other than noeviction). */
    allowEviction: boolean
  }
  session: {
    secrets: string[]
    idleSeconds: number
    absoluteSeconds: number
    maxPerUser: number
    /** A visitor's new session lives this long until the browser sends its cookie back. */
    firstVisitSeconds: number
    newPerIpPerMinute: number
    cookieSecure: boolean
  }
  bcrypt: { cost: number; workers?: number }
  /** Logins, sign-ups and password changes in flight at once; default 4 per bcrypt worker. */
  loginMaxConcurrent?: number
  /** The Pwned Passwords range API, or undefined for no breach check. */
  pwnedPasswordsUrl?: string
  trustProxy: boolean
  throttle: { perEmailIp: number; perIp: number; successesPerIp: number; windowSeconds: number }
  accountThrottle: {
    perAccount: number
    perDevice: number
    accountWindowSeconds: number
    successesPerAccount: number
    successWindowSeconds: number
  }
  seedDemoUser: boolean
  shutdownGraceSeconds: number
  beerApiUrl?: string
  logLevel: LogLevel
  mail: {
    /** Unset outside production: mail goes to the dev outbox (GET /dev/mail). */
    smtpUrl?: string
    from: string
  }
  passwordResetSeconds: number
  /** The origin users reach the app at: every link in a mail starts with it; passkeys are bound to its host name. */
  appUrl: string
  /** Whether APP_URL was set: only then is appUrl the one origin forms are accepted from. */
  appUrlGiven: boolean
  /** 32 bytes each for AES-256-GCM: the first encrypts data at rest (authenticator-app secrets); every one decrypts. */
  dataEncryptionKeys: Buffer[]
  /** Set when no DATA_ENCRYPTION_KEY was given and a random one was made for this process. */
  generatedDataKey: boolean
  /** How long a password proof lets sensitive actions through. */
  reauthSeconds: number
  /** How long security events stay on the activity page. */
  authEventsDays: number
  /** Set when no SESSION_SECRET was given and a random one was made for this process. */
  generatedSecret: boolean
}

const PUBLIC_PWNED_PASSWORDS = 'https://api.pwnedpasswords.com/range'

/* Production checks the public API unless told `off`; development and tests only a URL they name. */
function pwnedPasswordsUrl(value: string | undefined, production: boolean): string | undefined {
  if (value === 'off') return undefined
  return value ?? (production ? PUBLIC_PWNED_PASSWORDS : undefined)
}

/* 32 random base64 characters carry 192 bits; anything under 96 by this estimate was not drawn at random. */
const MIN_SECRET_BITS = 96

/**
 * An estimate of the entropy of a secret: its length times the Shannon entropy
 * of its characters. One character repeated has none; "abab…" one bit per
 * character; random base64 about six.
 */
export function entropyBits(secret: string): number {
  const counts = new Map<string, number>()
  for (const char of secret) counts.set(char, (counts.get(char) ?? 0) + 1)
  let perChar = 0
  for (const count of counts.values()) {
    const p = count / secret.length
    perChar -= p * Math.log2(p)
  }
  return perChar * secret.length
}

/* Under MIN_SECRET_BITS by entropyBits: a secret a person made up, or a pattern, not random bytes. */
function guessable(secret: string): boolean {
  return entropyBits(secret) < MIN_SECRET_BITS
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

/**
 * The configuration of this process, from its environment; or, when that is
 * invalid, a message naming each wrong variable and exit 1.
 */
export function loadConfig(): Config {
  try {
    return parseEnv(process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}

/**
 * Validates environment variables once. Every other module takes the resulting
 * Config; nothing else reads process.env.
 */
export function parseEnv(source: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ''))
  const result = schema.safeParse(present)
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${String(issue.path[0] ?? 'environment')}: ${issue.message}`)
    throw new ConfigError(`Invalid environment:\n  ${problems.join('\n  ')}`)
  }
  const env = result.data
  const production = env.NODE_ENV === 'production'
  if (production && !env.SESSION_SECRET) {
    throw new ConfigError('Invalid environment:\n  SESSION_SECRET: required when NODE_ENV=production')
  }
  if (production && env.SESSION_SECRET?.some((secret) => secret.length < 32)) {
    throw new ConfigError(
      'Invalid environment:\n  SESSION_SECRET: each secret must be at least 32 characters in production',
    )
  }
  const weakSecret = production ? env.SESSION_SECRET?.find(guessable) : undefined
  if (weakSecret !== undefined) {
    throw new ConfigError(
      `Invalid environment:\n  SESSION_SECRET: a secret of ${weakSecret.length} characters with only about ${Math.floor(entropyBits(weakSecret))} bits of entropy (repeated or too few different characters); use random bytes, e.g. openssl rand -base64 48`,
    )
  }
  if (production && env.COOKIE_SECURE === false && !env.ALLOW_INSECURE_COOKIES) {
    throw new ConfigError(
      'Invalid environment:\n  COOKIE_SECURE: false sends session cookies over plain HTTP; in production set ALLOW_INSECURE_COOKIES=true as well if that is really meant',
    )
  }
  if (production && !env.SMTP_URL) {
    throw new ConfigError(
      'Invalid environment:\n  SMTP_URL: required when NODE_ENV=production (mail must be delivered)',
    )
  }
  if (production && !env.APP_URL) {
    throw new ConfigError('Invalid environment:\n  APP_URL: required when NODE_ENV=production (links in mail use it)')
  }
  if (production && !env.DATA_ENCRYPTION_KEY) {
    throw new ConfigError('Invalid environment:\n  DATA_ENCRYPTION_KEY: required when NODE_ENV=production')
  }
  const dataKeys = env.DATA_ENCRYPTION_KEY?.map((key) => Buffer.from(key, 'base64'))
  // Its bytes, one character each: the base64 text of a repeated byte still has four different characters.
  const weakKey = dataKeys?.map((key) => key.toString('latin1')).find(guessable)
  if (production && weakKey !== undefined) {
    throw new ConfigError(
      `Invalid environment:\n  DATA_ENCRYPTION_KEY: 32 bytes with only about ${Math.floor(entropyBits(weakKey))} bits of entropy (one byte repeated or too few different bytes); use random bytes: openssl rand -base64 32`,
    )
  }
  if (env.SESSION_ABSOLUTE_SECONDS < env.SESSION_IDLE_SECONDS) {
    throw new ConfigError(
      'Invalid environment:\n  SESSION_ABSOLUTE_SECONDS: must not be shorter than SESSION_IDLE_SECONDS',
    )
  }
  return {
    nodeEnv: env.NODE_ENV,
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    redis: {
      url: env.REDIS_URL,
      clusterNodes: env.REDIS_CLUSTER_NODES,
      sentinels: env.REDIS_SENTINELS,
      sentinelName: env.REDIS_SENTINEL_NAME,
      prefix: env.REDIS_PREFIX,
      allowEviction: env.REDIS_ALLOW_EVICTION,
    },
    session: {
      secrets: env.SESSION_SECRET ?? [randomBytes(32).toString('base64url')],
      idleSeconds: env.SESSION_IDLE_SECONDS,
      absoluteSeconds: env.SESSION_ABSOLUTE_SECONDS,
      maxPerUser: env.MAX_SESSIONS_PER_USER,
      firstVisitSeconds: env.SESSION_FIRST_VISIT_SECONDS,
      newPerIpPerMinute: env.NEW_SESSIONS_PER_IP_PER_MINUTE,
      cookieSecure: env.COOKIE_SECURE ?? production,
    },
    bcrypt: { cost: env.BCRYPT_COST, workers: env.BCRYPT_WORKERS },
    loginMaxConcurrent: env.LOGIN_MAX_CONCURRENT,
    pwnedPasswordsUrl: pwnedPasswordsUrl(env.PWNED_PASSWORDS_URL, production),
    trustProxy: env.TRUST_PROXY,
    throttle: {
      perEmailIp: env.LOGIN_MAX_FAILURES_PER_EMAIL_IP,
      perIp: env.LOGIN_MAX_FAILURES_PER_IP,
      successesPerIp: env.LOGIN_MAX_SUCCESSES_PER_IP,
      windowSeconds: env.LOGIN_THROTTLE_WINDOW_SECONDS,
    },
    accountThrottle: {
      perAccount: env.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      perDevice: env.LOGIN_MAX_FAILURES_PER_DEVICE,
      accountWindowSeconds: env.LOGIN_ACCOUNT_WINDOW_SECONDS,
      successesPerAccount: env.LOGIN_MAX_SUCCESSES_PER_ACCOUNT,
      successWindowSeconds: env.LOGIN_THROTTLE_WINDOW_SECONDS,
    },
    seedDemoUser: env.SEED_DEMO_USER ?? !production,
    shutdownGraceSeconds: env.SHUTDOWN_GRACE_SECONDS,
    beerApiUrl: env.BEER_API_URL,
    logLevel: env.LOG_LEVEL,
    mail: { smtpUrl: env.SMTP_URL, from: env.MAIL_FROM },
    passwordResetSeconds: env.PASSWORD_RESET_SECONDS,
    appUrl: new URL(env.APP_URL ?? `http://localhost:${env.PORT}`).origin,
    appUrlGiven: env.APP_URL !== undefined,
    dataEncryptionKeys: dataKeys ?? [randomBytes(32)],
    generatedDataKey: !env.DATA_ENCRYPTION_KEY,
    reauthSeconds: env.REAUTH_SECONDS,
    authEventsDays: env.AUTH_EVENTS_DAYS,
    generatedSecret: !env.SESSION_SECRET,
  }
}
