import { describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { ConfigError, parseEnv } from '../src/env.ts'

/** 48 random base64 characters, as `openssl rand -base64 36` prints. */
const SECRET = 'q3Zk9vR1xWm2Lp8TnY4sHc7JdF0bGe5UaQiXoVtKwNr6MyBz'
/** 32 random bytes in base64, as `openssl rand -base64 32` prints. */
const KEY = 'X4j0UNd/V/Ad4ULAzMULIadNNGgqfBfIwgQ/MXZUJ6M='

describe('environment', () => {
  test('defaults', () => {
    const config = parseEnv({})
    expect(config.port).toBe(3000)
    expect(config.databaseUrl).toBe('mysql://root@127.0.0.1:3306/taproom')
    expect(config.redis.url).toBe('redis://127.0.0.1:6379')
    expect(config.redis.prefix).toBe('taproom:')
    expect(config.session.idleSeconds).toBe(1800)
    expect(config.session.absoluteSeconds).toBe(43200)
    expect(config.bcrypt.cost).toBe(12)
    expect(config.session.cookieSecure).toBe(false)
    expect(config.generatedSecret).toBe(true)
    expect(config.seedDemoUser).toBe(true)
  })

  test('production: SESSION_SECRET required, secure cookies and no demo user by default', () => {
    expect(() => parseEnv({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRET: required/)
    const key = KEY
    const mail = { SMTP_URL: 'smtp://mail:25', APP_URL: 'https://taproom.example' }
    const config = parseEnv({
      NODE_ENV: 'production',
      SESSION_SECRET: SECRET,
      DATA_ENCRYPTION_KEY: key,
      ...mail,
    })
    expect(config.session.cookieSecure).toBe(true)
    expect(config.seedDemoUser).toBe(false)
    expect(
      parseEnv({
        NODE_ENV: 'production',
        SESSION_SECRET: SECRET,
        DATA_ENCRYPTION_KEY: key,
        SEED_DEMO_USER: 'true',
        ...mail,
      }).seedDemoUser,
    ).toBe(true)
    expect(() => parseEnv({ NODE_ENV: 'production', SESSION_SECRET: 'short', ...mail })).toThrow(
      /at least 32 characters/,
    )
  })

  test('DATA_ENCRYPTION_KEY: 32 bytes of base64, required in production, random with a flag otherwise', () => {
    const key = KEY
    expect(() =>
      parseEnv({
        NODE_ENV: 'production',
        SESSION_SECRET: SECRET,
        SMTP_URL: 'smtp://mail:25',
        APP_URL: 'https://taproom.example',
      }),
    ).toThrow(/DATA_ENCRYPTION_KEY: required/)
    const mail = { SMTP_URL: 'smtp://mail:25', APP_URL: 'https://taproom.example' }
    const given = parseEnv({
      NODE_ENV: 'production',
      SESSION_SECRET: SECRET,
      DATA_ENCRYPTION_KEY: key,
      ...mail,
    })
    expect(given.dataEncryptionKeys).toEqual([Buffer.from(KEY, 'base64')])
    expect(given.generatedDataKey).toBe(false)
    const random = parseEnv({})
    expect(random.dataEncryptionKeys.map((key) => key.length)).toEqual([32])
    expect(random.generatedDataKey).toBe(true)
    expect(() => parseEnv({ DATA_ENCRYPTION_KEY: 'too-short' })).toThrow(/DATA_ENCRYPTION_KEY: must be 32 random bytes/)
  })

  test('DATA_ENCRYPTION_KEY: several comma-separated keys, the first seals, each must be a key', () => {
    const old = randomBytes(32).toString('base64')
    expect(parseEnv({ DATA_ENCRYPTION_KEY: ` ${KEY}, ${old} ,` }).dataEncryptionKeys).toEqual([
      Buffer.from(KEY, 'base64'),
      Buffer.from(old, 'base64'),
    ])
    expect(() => parseEnv({ DATA_ENCRYPTION_KEY: `${KEY},too-short` })).toThrow(
      /DATA_ENCRYPTION_KEY: must be 32 random bytes.*the new key first/,
    )
    expect(() => parseEnv({ DATA_ENCRYPTION_KEY: ',' })).toThrow(/DATA_ENCRYPTION_KEY/)
  })

  test('APP_URL: an origin, defaulting to localhost on PORT', () => {
    expect(parseEnv({ PORT: '4000' }).appUrl).toBe('http://localhost:4000')
    expect(parseEnv({ APP_URL: 'https://taproom.example/' }).appUrl).toBe('https://taproom.example')
    expect(() => parseEnv({ APP_URL: 'https://taproom.example/app' })).toThrow(/APP_URL/)
  })

  test('several comma-separated secrets: the first signs, all are kept', () => {
    expect(parseEnv({ SESSION_SECRET: 'new-one, old-one ,' }).session.secrets).toEqual(['new-one', 'old-one'])
  })

  test('cluster nodes parse from host:port lists', () => {
    expect(parseEnv({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, 127.0.0.1:7001' }).redis.clusterNodes).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.1', port: 7001 },
    ])
  })

  test('IPv6 nodes are written in brackets', () => {
    expect(parseEnv({ REDIS_SENTINELS: '[::1]:26379,sentinel.internal:26380' }).redis.sentinels).toEqual([
      { host: '::1', port: 26379 },
      { host: 'sentinel.internal', port: 26380 },
    ])
  })

  test('a node port outside 1–65535 is refused', () => {
    expect(() => parseEnv({ REDIS_CLUSTER_NODES: '127.0.0.1:70000' })).toThrow(/REDIS_CLUSTER_NODES: .*1–65535/)
  })

  const bad: Record<string, string> = {
    PORT: 'abc',
    DATABASE_URL: 'postgres://x/y',
    REDIS_URL: 'http://localhost',
    REDIS_PREFIX: 'has spaces',
    SESSION_IDLE_SECONDS: '-5',
    // Past what a browser keeps a cookie: every new session would fail at its first answer.
    SESSION_ABSOLUTE_SECONDS: String(400 * 24 * 60 * 60),
    BCRYPT_COST: '99',
    COOKIE_SECURE: 'maybe',
    NODE_ENV: 'staging',
    REDIS_CLUSTER_NODES: 'no-port',
  }
  for (const [name, value] of Object.entries(bad)) {
    test(`a bad ${name} is named in the error`, () => {
      expect(() => parseEnv({ [name]: value })).toThrow(ConfigError)
      expect(() => parseEnv({ [name]: value })).toThrow(new RegExp(`${name}:`))
    })
  }

  test('the server exits non-zero naming the bad variable', async () => {
    const child = Bun.spawn(['node_modules/.bin/bun', 'src/server.ts'], {
      env: { ...process.env, PORT: 'not-a-port' },
      stdout: 'pipe',
      stderr: 'pipe',
    })
    const code = await child.exited
    expect(code).not.toBe(0)
    expect(await new Response(child.stderr).text()).toContain('PORT:')
  })
})

describe('production refuses what would weaken sessions', () => {
  const production = {
    NODE_ENV: 'production',
    SESSION_SECRET: SECRET,
    DATA_ENCRYPTION_KEY: KEY,
    SMTP_URL: 'smtp://mail:25',
    APP_URL: 'https://taproom.example',
  }

  test('a secret without real entropy (one character repeated, a short pattern) is refused, naming the variable', () => {
    for (const weak of ['s'.repeat(32), 'ab'.repeat(20), 'x'.repeat(60)]) {
      expect(() => parseEnv({ ...production, SESSION_SECRET: weak })).toThrow(/SESSION_SECRET: .* bits of entropy/)
    }
    expect(() => parseEnv({ ...production, SESSION_SECRET: `${SECRET},${'y'.repeat(40)}` })).toThrow(/entropy/)
    expect(parseEnv(production).session.secrets).toEqual([SECRET])
    expect(parseEnv({ NODE_ENV: 'development', SESSION_SECRET: 's'.repeat(32) }).session.secrets).toHaveLength(1)
  })

  test('a DATA_ENCRYPTION_KEY without real entropy (one byte repeated, a short pattern) is refused, naming the variable', () => {
    const patterned = Buffer.from(Array.from({ length: 32 }, (_, i) => [0x13, 0x37, 0xc0, 0xde][i % 4]!))
    for (const weak of [Buffer.alloc(32), Buffer.alloc(32, 7), patterned]) {
      expect(() => parseEnv({ ...production, DATA_ENCRYPTION_KEY: weak.toString('base64') })).toThrow(
        /DATA_ENCRYPTION_KEY: .* bits of entropy/,
      )
    }
    expect(parseEnv({ ...production, DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64') }).generatedDataKey).toBe(
      false,
    )
    const zeros = Buffer.alloc(32).toString('base64')
    expect(parseEnv({ NODE_ENV: 'development', DATA_ENCRYPTION_KEY: zeros }).dataEncryptionKeys).toEqual([
      Buffer.alloc(32),
    ])
    // Every key of a rotation is held to it, the old one too.
    expect(() => parseEnv({ ...production, DATA_ENCRYPTION_KEY: `${KEY},${zeros}` })).toThrow(
      /DATA_ENCRYPTION_KEY: .* bits of entropy/,
    )
  })

  test('COOKIE_SECURE=false only with ALLOW_INSECURE_COOKIES=true', () => {
    expect(() => parseEnv({ ...production, COOKIE_SECURE: 'false' })).toThrow(
      /COOKIE_SECURE: .*ALLOW_INSECURE_COOKIES=true/,
    )
    expect(
      parseEnv({ ...production, COOKIE_SECURE: 'false', ALLOW_INSECURE_COOKIES: 'true' }).session.cookieSecure,
    ).toBe(false)
    expect(parseEnv({ NODE_ENV: 'development', COOKIE_SECURE: 'false' }).session.cookieSecure).toBe(false)
  })
})
