/*
 * The load benchmark (`bun run bench`): starts the app in production mode with
 * its own Redis server, database and key prefix, drives it with wrk (or
 * autocannon), and prints one markdown table; the same goes to
 * bench-results.json. See the README's "Performance" section.
 */

import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { autocannonGenerator, type LoadGenerator, type LoadMode, type LoadResult, wrk } from './load.ts'
import { type FloodResult, loginFlood } from './login-flood.ts'
import { parseOptions, type ScenarioName } from './options.ts'
import {
  answers,
  type Child,
  cpuMs,
  currentRss,
  freePort,
  peakRss,
  peakRssSinceStart,
  pin,
  resetPeakRss,
  start,
  stop,
  stopAll,
  waitUntil,
} from './processes.ts'
import { summarizeProfile } from './profile.ts'
import { type RedisCost, redisCost, sessionMemory } from './redis-usage.ts'
import {
  type BenchResults,
  type LeakCheck,
  markdown,
  type PeerResults,
  type ScenarioResult,
  targets,
} from './report.ts'
import { APP_SESSION, PEER_SESSION, type SessionPair, sendMany, sessionPool } from './sessions.ts'

const options = parseOptions(Bun.argv.slice(2))
const ROOT = resolve(import.meta.dir, '../..')
const MYSQL_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const work = mkdtempSync(join(tmpdir(), 'taproom-bench-'))
const log = (message: string) => console.error(`[bench] ${message}`)

/* What `npm start` sets before `bun src/server.ts` (JavaScriptCore's GC options): the bench runs the app as npm start does. */
const START_SCRIPT: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start
const START_ENV = Object.fromEntries(
  [...START_SCRIPT.slice(0, START_SCRIPT.indexOf('bun ')).matchAll(/(\w+)=(\S+)/g)].map(([, name, value]) => [
    name!,
    value!,
  ]),
)

// The server gets CPU 0 to itself; the load generator, Redis and this script
// share CPU 1. Logins may use every core, since bcrypt runs on worker threads.
const cores = availableParallelism()
const pinned = cores >= 2 && Bun.which('taskset') !== null
const SERVER_CPU = pinned ? '0' : null
const LOAD_CPU = pinned ? '1' : null
const ALL_CPUS = `0-${cores - 1}`
if (pinned) pin(process.pid, LOAD_CPU!)

const generator: LoadGenerator =
  options.loadGenerator === 'autocannon' || (options.loadGenerator === 'auto' && !Bun.which('wrk'))
    ? autocannonGenerator()
    : wrk(LOAD_CPU)
if (options.loadGenerator === 'wrk' && !Bun.which('wrk')) throw new Error('wrk is not on PATH')

const privateRedis = Bun.which('redis-server') !== null
const database = `taproom_bench_${randomBytes(4).toString('hex')}`
const prefix = privateRedis ? 'tbench:' : `tbench-${randomBytes(4).toString('hex')}:`

let redis: Redis | undefined
let app: Child | undefined

// The peer runs under Node, as the tutorial's stack was written for and deployed on
// (--peer-runtime bun runs it on Bun's Node compatibility instead, for comparison).
const peerRuntime = options.peerRuntime === 'bun' ? process.execPath : Bun.which('node')
const PEER_SERVER = join(import.meta.dir, 'peer', 'server.mjs')

async function main(): Promise<BenchResults> {
  let redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  if (privateRedis) {
    const port = await freePort()
    const server = start(
      'redis-server',
      ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        cpus: LOAD_CPU,
        logFile: join(work, 'redis.log'),
      },
    )
    redisUrl = `redis://127.0.0.1:${port}`
    await waitUntil('Redis', () => answersPing(redisUrl), { child: server })
  } else {
    log(`redis-server not found: using ${redisUrl}; command counts include other clients of that server`)
  }
  redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })

  const appPort = await freePort()
  const base = `http://127.0.0.1:${appPort}`
  // Started on every CPU, so it sizes its bcrypt worker pool to the machine
  // (a process started pinned sees one CPU), then moved onto the server CPU.
  const profileDir = join(work, 'profile')
  const profiler = options.cpuProfile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []
  app = start('app', [process.execPath, ...profiler, 'src/server.ts'], {
    cpus: pinned ? ALL_CPUS : null,
    cwd: ROOT,
    logFile: join(work, 'app.log'),
    env: {
      ...START_ENV,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? work,
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(appPort),
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      COOKIE_SECURE: 'false',
      ALLOW_INSECURE_COOKIES: 'true',
      // Production requires both; no scenario here sends mail.
      SMTP_URL: 'smtp://127.0.0.1:25',
      APP_URL: base,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      DATABASE_URL: `${MYSQL_URL}/${database}`,
      SEED_DEMO_USER: 'true',
      // Every login here is one account from one address, with up to 8 in
      // flight: the throttle would rightly answer most of them 429 at once,
      // and the figures would measure the throttle instead of bcrypt.
      LOGIN_MAX_FAILURES_PER_EMAIL_IP: '1000000',
      LOGIN_MAX_FAILURES_PER_IP: '1000000',
      LOGIN_MAX_SUCCESSES_PER_IP: '1000000',
      LOGIN_MAX_SUCCESSES_PER_ACCOUNT: '1000000',
      // The new-visitor scenario makes thousands of sessions a second from one
      // address, to measure making them rather than the per-address limit.
      NEW_SESSIONS_PER_IP_PER_MINUTE: '1000000000',
      BCRYPT_COST: '12',
      SHUTDOWN_GRACE_SECONDS: '5',
      ...options.appEnv,
    },
  })
  log(`app starting (pid ${app.pid}, log ${join(work, 'app.log')})`)
  await waitUntil('the app to be ready (/readyz)', () => answers(`${base}/readyz`), { child: app, timeoutMs: 120_000 })
  if (pinned) pin(app.pid, SERVER_CPU!)

  const { child: ceiling, url: ceilingUrl } = await startBenchServer('ceiling', 'ceiling-server.ts', [redisUrl, prefix])

  const pageFile = join(work, 'page-sessions.txt')
  const loginFile = join(work, 'login-sessions.txt')
  const pagePool = await sessionPool(base, options.poolSize, pageFile)
  const loginPool = await sessionPool(base, options.poolSize, loginFile)
  // At rest: idle after start-up and the few hundred page views above, before any login.
  await Bun.sleep(2000)
  const appRestRss = currentRss(app.pid)
  await sanityCheck(base, pagePool[0]!, loginPool[loginPool.length - 1]!)
  await Bun.sleep(2000)
  const appAfterLoginsRss = currentRss(app.pid)
  const stackFloorRss = await stackFloorRestRss(redisUrl, `${MYSQL_URL}/${database}`, options.poolSize * 2)

  let peer: Child | undefined
  let peerBase = ''
  const peerPageFile = join(work, 'peer-page-sessions.txt')
  const peerLoginFile = join(work, 'peer-login-sessions.txt')
  let peerPagePool: SessionPair[] = []
  let peerRestRss = 0
  if (peerRuntime && options.peer) {
    const peerPort = await freePort()
    peerBase = `http://127.0.0.1:${peerPort}`
    peer = start('peer', [peerRuntime, PEER_SERVER], {
      cpus: SERVER_CPU,
      cwd: ROOT,
      logFile: join(work, 'peer.log'),
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        NODE_ENV: 'production',
        PORT: String(peerPort),
        REDIS_URL: redisUrl,
        REDIS_PREFIX: `${prefix}peer:`,
        DATABASE_URL: `${MYSQL_URL}/${database}`,
        SESSION_SECRET: randomBytes(32).toString('base64url'),
        SESSION_IDLE_SECONDS: '1800',
      },
    })
    log(`peer starting (pid ${peer.pid}, log ${join(work, 'peer.log')})`)
    await waitUntil('the peer', () => answers(`${peerBase}/`), { child: peer })
    peerPagePool = await sessionPool(peerBase, options.poolSize, peerPageFile, PEER_SESSION)
    const peerLoginPool = await sessionPool(peerBase, options.poolSize, peerLoginFile, PEER_SESSION)
    await Bun.sleep(2000)
    peerRestRss = currentRss(peer.pid)
    await peerSanityCheck(peerBase, peerPagePool[0]!, peerLoginPool[peerLoginPool.length - 1]!)
  } else if (options.peer) {
    log('node not found: the peer is left out')
  }

  log(`Redis memory: ${options.memorySessions.toLocaleString('en-US')} anonymous sessions`)
  const memory = await sessionMemory(redis, `${prefix}s:*`, () =>
    sendMany(options.memorySessions, 32, () => fetch(`${base}/`)),
  )

  log('Redis commands per request')
  const costs = await measureRedisCosts(redis, base, pagePool, loginPool.slice(0, 20))
  if (peer) Object.assign(costs, await measurePeerRedisCosts(redis, peerBase, peerPagePool))

  const scenarios: BenchResults['scenarios'] = {}
  const peerScenarios: PeerResults['scenarios'] = {}
  type Run = (seconds: number) => Promise<LoadResult>
  /** One measured run: its figures, the server CPU it took and its peak RSS (from a reset VmHWM when the kernel allows). */
  const runOnce = async (target: Child, run: Run, seconds: number) => {
    const reset = resetPeakRss(target.pid)
    const cpuBefore = cpuMs(target.pid)
    const result = await run(seconds)
    return { result, cpu: cpuMs(target.pid) - cpuBefore, peak: peakRss(target.pid), reset }
  }
  const record = (
    name: ScenarioName,
    target: Child,
    redisKind: string | null,
    runs: Awaited<ReturnType<typeof runOnce>>[],
    notes?: string,
  ) => {
    const requests = runs.reduce((sum, { result }) => sum + result.requests, 0)
    const seconds = runs.reduce((sum, { result }) => sum + result.seconds, 0)
    const cpu = runs.reduce((sum, run) => sum + run.cpu, 0)
    const scenario: ScenarioResult = {
      requests,
      seconds,
      rps: requests / seconds,
      // wrk reports percentiles per run: the median is weighted by requests, the p99 is the worse run's.
      p50Ms: runs.reduce((sum, { result }) => sum + result.p50Ms * result.requests, 0) / Math.max(1, requests),
      p99Ms: Math.max(...runs.map(({ result }) => result.p99Ms)),
      badStatus: runs.reduce((sum, { result }) => sum + result.badStatus, 0),
      socketErrors: runs.reduce((sum, { result }) => sum + result.socketErrors, 0),
      cpuMsPerRequest: requests > 0 ? cpu / requests : null,
      peakRssBytes: Math.max(...runs.map((run) => run.peak)),
      redisKind,
      notes: runs.every((run) => run.reset)
        ? notes
        : [notes, 'peak RSS is since start (VmHWM could not be reset)'].filter(Boolean).join('; '),
    }
    if (target === peer) peerScenarios[name] = scenario
    else scenarios[name] = scenario
    log(
      `${target === peer ? 'peer ' : ''}${name}: ${Math.round(scenario.rps)} req/s, p99 ${scenario.p99Ms.toFixed(2)} ms, ${scenario.badStatus + scenario.socketErrors} bad, RSS now ${(currentRss(target.pid) / 2 ** 20).toFixed(0)} MB`,
    )
    return scenario
  }
  const measure = async (name: ScenarioName, target: Child, redisKind: string | null, run: Run, notes?: string) => {
    if (options.warmup > 0) await run(options.warmup)
    return record(name, target, redisKind, [await runOnce(target, run, options.duration)], notes)
  }
  const load =
    (url: string, mode: LoadMode, connections: number, sessionsFile?: string, timeoutSeconds?: number): Run =>
    (seconds) =>
      generator.run({ url, mode, connections, seconds, sessionsFile, timeoutSeconds })
  const selected = new Set(options.scenarios)

  if (selected.has('ceiling')) {
    await measure(
      'ceiling',
      ceiling,
      null,
      load(ceilingUrl, 'plain', options.connections),
      'constant 1 KB page from Hono on Bun: same runtime, framework and core as the app, no session',
    )
  }
  if (selected.has('redis-bound')) {
    await measure(
      'redis-bound',
      ceiling,
      null,
      load(`${ceilingUrl}redis`, 'plain', options.connections),
      'the ceiling page after one EVALSHA through ioredis (PTTL + HGETALL of a session-sized hash): the most a page costing one Redis round trip can serve here',
    )
  }

  type Server = { target: Child; base: string; pageFile: string; loginFile: string }
  const appServer: Server = { target: app, base, pageFile, loginFile }
  const peerServer: Server | null = peer
    ? { target: peer, base: peerBase, pageFile: peerPageFile, loginFile: peerLoginFile }
    : null
  /*
   * Each scenario runs in two halves per server, in the order app, peer,
   * peer, app: whatever else the machine does meanwhile (it drifts over
   * minutes on a shared machine) weighs on both alike, and a steady drift
   * cancels out of the ratio.
   */
  const sideBySide = async (
    name: ScenarioName,
    redisKind: string,
    runFor: (server: Server) => Run,
    { allCpus = false }: { allCpus?: boolean } = {},
  ) => {
    const servers = peerServer ? [appServer, peerServer] : [appServer]
    if (allCpus && pinned) for (const { target } of servers) pin(target.pid, ALL_CPUS)
    for (const server of servers) if (options.warmup > 0) await runFor(server)(options.warmup)
    const order = peerServer ? [appServer, peerServer, peerServer, appServer] : [appServer, appServer]
    const halves = new Map<Server, Awaited<ReturnType<typeof runOnce>>[]>()
    for (const server of order) {
      const half = await runOnce(server.target, runFor(server), options.duration / 2)
      halves.set(server, [...(halves.get(server) ?? []), half])
    }
    if (allCpus && pinned) for (const { target } of servers) pin(target.pid, SERVER_CPU!)
    return servers.map((server) => record(name, server.target, redisKind, halves.get(server)!))
  }

  if (selected.has('new-visitor'))
    await sideBySide('new-visitor', 'first visit', ({ base }) => load(`${base}/`, 'plain', options.connections))
  if (selected.has('returning'))
    await sideBySide('returning', 'page view', ({ base, pageFile }) =>
      load(`${base}/`, 'returning', options.connections, pageFile),
    )
  if (selected.has('pour'))
    await sideBySide('pour', 'pour (htmx)', ({ base, pageFile }) =>
      load(`${base}/beer`, 'pour', options.connections, pageFile),
    )

  const logins = ({ base, loginFile }: Server, connections: number) =>
    load(`${base}/login`, 'login', connections, loginFile, 30)
  // A login ends the session it came from, and a POST from an ended session is
  // refused (403): every run of logins gets sessions no login has used.
  const freshLoginSessions = (server: Server) =>
    sessionPool(server.base, options.poolSize, server.loginFile, server === appServer ? APP_SESSION : PEER_SESSION)
  if (selected.has('login')) {
    // Whole runs, app then peer: a login takes a good part of a second, too long for halves to count many.
    for (const server of peerServer ? [appServer, peerServer] : [appServer]) {
      if (pinned) pin(server.target.pid, ALL_CPUS)
      await measure(
        'login',
        server.target,
        'login',
        async (seconds) => {
          await freshLoginSessions(server)
          return logins(server, options.loginConnections)(seconds)
        },
        `${options.loginConnections} connections; the server may use all ${cores} cores (the app runs bcrypt on worker threads)`,
      )
      if (pinned) pin(server.target.pid, SERVER_CPU!)
    }
  }
  if (selected.has('login-storm')) {
    const storms = new Map<Server, LoadResult[]>()
    const stormRun =
      (server: Server): Run =>
      async (seconds) => {
        // A page view stuck behind logins for over 2 s counts as failed (a timeout), as in every other scenario.
        const returning = load(`${server.base}/`, 'returning', options.connections, server.pageFile)
        await freshLoginSessions(server)
        // The storm starts a second before the measured returning run and ends a second after it.
        const running = logins(server, options.stormConnections)(seconds + 2)
        await Bun.sleep(1000)
        const result = await returning(seconds)
        const storm = await running
        storms.set(server, [...(storms.get(server) ?? []), storm])
        return result
      }
    const results = await sideBySide('login-storm', 'page view', stormRun, { allCpus: true })
    for (const [i, server] of [appServer, peerServer].filter((entry) => entry !== null).entries()) {
      // Warm-up storms are left out: only the measured halves count.
      const measured = storms.get(server)!.slice(options.warmup > 0 ? 1 : 0)
      const loginCount = measured.reduce((sum, storm) => sum + storm.requests, 0)
      const loginSeconds = measured.reduce((sum, storm) => sum + storm.seconds, 0)
      const failed = measured.reduce((sum, storm) => sum + storm.badStatus + storm.socketErrors, 0)
      results[i]!.cpuMsPerRequest = null
      results[i]!.notes =
        `figures of returning (${options.connections} connections) while ${options.stormConnections} connections log in: ${((loginCount - failed) / loginSeconds).toFixed(1)} logins/s, ${failed} failed`
    }
  }

  let flood: FloodResult | null = null
  if (selected.has('login-flood')) {
    log(`login flood: ${options.floodClients} clients for ${options.floodSeconds} s`)
    if (pinned) pin(app.pid, ALL_CPUS)
    resetPeakRss(app.pid)
    flood = await loginFlood({
      app,
      base,
      databaseUrl: `${MYSQL_URL}/${database}`,
      generator,
      clients: options.floodClients,
      seconds: options.floodSeconds,
      sessionsFile: join(work, 'flood-sessions.txt'),
    })
    if (pinned) pin(app.pid, SERVER_CPU!)
    log(
      `login flood: ${flood.loginsPerSecond.toFixed(1)} logins/s, answers ${JSON.stringify(flood.statuses)}, fresh login ${flood.freshLogin.status} in ${flood.freshLogin.ms.toFixed(0)} ms`,
    )
  }

  let leakCheck: LeakCheck | null = null
  if (options.leakCheck) {
    log('leak check: three consecutive returning runs')
    const runs: LeakCheck['runs'] = []
    for (let i = 0; i < 3; i++) {
      resetPeakRss(app.pid)
      const result = await generator.run({
        url: `${base}/`,
        mode: 'returning',
        connections: options.connections,
        seconds: options.duration,
        sessionsFile: pageFile,
      })
      runs.push({ rps: result.rps, peakRssBytes: peakRss(app.pid), rssAfterBytes: currentRss(app.pid) })
    }
    leakCheck = { runs, growth: Math.max(0, runs[2]!.peakRssBytes / runs[0]!.peakRssBytes - 1) }
  }

  const machine = await describeMachine(redis)
  await stop(ceiling)
  const peerResults: PeerResults | null = peer
    ? {
        runtime:
          options.peerRuntime === 'bun'
            ? `Bun ${Bun.version}`
            : `Node ${Bun.spawnSync([peerRuntime!, '--version']).stdout.toString().trim()}`,
        scenarios: peerScenarios,
        restRssBytes: peerRestRss,
        peakRssBytes: peakRssSinceStart(peer.pid),
      }
    : null
  if (peer) await stop(peer)
  const appPeakRss = peakRssSinceStart(app.pid)
  const appExit = await stop(app)
  if (appExit !== 0) log(`the app exited with code ${appExit} on SIGTERM (see ${join(work, 'app.log')})`)

  const partial = {
    date: new Date().toISOString(),
    machine,
    setup: {
      loadGenerator: generator.version,
      pinning: pinned
        ? `server (app and ceiling) on CPU ${SERVER_CPU}; ${generator.name}, Redis and the bench on CPU ${LOAD_CPU}; during login scenarios the app may use CPUs ${ALL_CPUS}`
        : 'not pinned (taskset missing or a single CPU)',
      redis: privateRedis ? 'private redis-server started by the bench' : `shared Redis at ${redisUrl}`,
      durationSeconds: options.duration,
      warmupSeconds: options.warmup,
      connections: options.connections,
      sessionPool: options.poolSize,
      bcryptCost: 12,
      appEnv:
        Object.entries(options.appEnv)
          .map(([name, value]) => `${name}=${value}`)
          .join(' ') || 'none',
      appExitCode: appExit ?? -1,
    },
    scenarios,
    redisCost: costs,
    sessionMemory: memory,
    loginFlood: flood,
    leakCheck,
    restRssBytes: appRestRss,
    stackFloorRestRssBytes: stackFloorRss,
    afterLoginsRssBytes: appAfterLoginsRss,
    peakRssBytes: appPeakRss,
    peer: peerResults,
    profile: options.cpuProfile ? summarizeProfile(profileDir, ROOT) : null,
  }
  return { ...partial, targets: targets(partial) }
}

/**
 * One of the bench's own servers in tests/bench/ (its port comes first in its
 * arguments), on the server CPU once it answers. `startedOn` is where it
 * starts: on every CPU the runtime sizes its thread pools for the machine, as
 * it does for the app.
 */
async function startBenchServer(
  name: string,
  script: string,
  args: string[],
  { env, startedOn = SERVER_CPU }: { env?: Record<string, string>; startedOn?: string | null } = {},
) {
  const port = await freePort()
  const child = start(name, [process.execPath, join(import.meta.dir, script), String(port), ...args], {
    cpus: startedOn,
    logFile: join(work, `${name}.log`),
    env,
  })
  const url = `http://127.0.0.1:${port}/`
  await waitUntil(`the ${name} server`, () => answers(url), { child })
  if (pinned && startedOn !== SERVER_CPU) pin(child.pid, SERVER_CPU!)
  return { child, url }
}

/**
 * RSS at rest of the stack alone (tests/bench/stack-floor.ts), started as the
 * app is and measured as the app is: idle after as many page views.
 */
async function stackFloorRestRss(redisUrl: string, databaseUrl: string, pageViews: number): Promise<number> {
  const { child: floor, url } = await startBenchServer('stack-floor', 'stack-floor.ts', [redisUrl, databaseUrl], {
    env: {
      ...START_ENV,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? work,
      NODE_ENV: 'production',
    },
    startedOn: pinned ? ALL_CPUS : null,
  })
  await sendMany(pageViews, 20, () => fetch(url))
  await Bun.sleep(2000)
  const rss = currentRss(floor.pid)
  await stop(floor)
  return rss
}

/** One request of each kind the scenarios send must succeed, or every figure would measure an error page. */
async function sanityCheck(
  base: string,
  page: { cookie: string; csrf: string },
  login: { cookie: string; csrf: string },
) {
  const returning = await fetch(`${base}/`, { headers: { cookie: page.cookie } })
  const html = await returning.text()
  if (returning.status !== 200 || !html.includes('id="session-panel"'))
    throw new Error(`GET / with a session answered ${returning.status}`)
  const pour = await fetch(`${base}/beer`, { method: 'POST', headers: pourHeaders(page), body: `_csrf=${page.csrf}` })
  if (pour.status !== 200 || !(await pour.text()).includes('beer-name'))
    throw new Error(`POST /beer answered ${pour.status}`)
  const first = await fetch(`${base}/login`, {
    method: 'POST',
    headers: formHeaders(login.cookie),
    body: loginBody(login.csrf),
    redirect: 'manual',
  })
  await first.arrayBuffer()
  if (first.status !== 303) throw new Error(`POST /login answered ${first.status}`)
}

/** The peer's pages, pour and login answer as the tutorial's did, or its figures would measure an error page. */
async function peerSanityCheck(base: string, page: SessionPair, login: SessionPair) {
  const returning = await fetch(`${base}/`, { headers: { cookie: page.cookie } })
  if (returning.status !== 200 || !(await returning.text()).includes('Session Info'))
    throw new Error(`peer: GET / with a session answered ${returning.status}`)
  const pour = await fetch(`${base}/beer`, { method: 'POST', headers: pourHeaders(page), body: '_csrf=none' })
  if (pour.status !== 200 || !(await pour.text()).includes('Beers viewed in this session: 1'))
    throw new Error(`peer: POST /beer answered ${pour.status} without counting the beer`)
  for (const attempt of ['first', 'again']) {
    const answer = await fetch(`${base}/login`, {
      method: 'POST',
      headers: formHeaders(login.cookie),
      body: loginBody(login.csrf),
      redirect: 'manual',
    })
    await answer.arrayBuffer()
    if (answer.status !== 303) throw new Error(`peer: POST /login (${attempt}) answered ${answer.status}`)
  }
}

const formHeaders = (cookie: string) => ({ cookie, 'content-type': 'application/x-www-form-urlencoded' })
const pourHeaders = ({ cookie, csrf }: { cookie: string; csrf: string }) => ({
  ...formHeaders(cookie),
  'hx-request': 'true',
  'x-csrf-token': csrf,
})
const loginBody = (csrf: string) => `email=test%40example.com&password=password&_csrf=${csrf}`

async function measureRedisCosts(
  redis: Redis,
  base: string,
  pool: { cookie: string; csrf: string }[],
  logins: { cookie: string; csrf: string }[],
) {
  const home = await (await fetch(`${base}/`, { headers: { cookie: pool[0]!.cookie } })).text()
  const stylesheet = home.match(/<link rel="stylesheet" href="([^"]+)"/)?.[1] ?? '/static/styles.css'
  const [name] = pool[0]!.cookie.split('=')
  const forged = `${name}=${'A'.repeat(32)}.${'B'.repeat(22)}`
  const n = options.exactRequests
  const expectStatus = async (response: Promise<Response>, ok: (status: number) => boolean) => {
    const answer = await response
    await answer.arrayBuffer()
    if (!ok(answer.status)) throw new Error(`unexpected status ${answer.status} from ${answer.url}`)
  }
  const is200 = (status: number) => status === 200
  const kinds: [string, number, (i: number) => Promise<void>][] = [
    [
      'page view',
      n,
      (i) => expectStatus(fetch(`${base}/`, { headers: { cookie: pool[i % pool.length]!.cookie } }), is200),
    ],
    [
      'pour (htmx)',
      n,
      (i) =>
        expectStatus(
          fetch(`${base}/beer`, {
            method: 'POST',
            headers: pourHeaders(pool[i % pool.length]!),
            body: `_csrf=${pool[i % pool.length]!.csrf}`,
          }),
          is200,
        ),
    ],
    [
      'panel refresh',
      n,
      (i) => expectStatus(fetch(`${base}/session`, { headers: { cookie: pool[i % pool.length]!.cookie } }), is200),
    ],
    ['first visit', n, () => expectStatus(fetch(`${base}/`), is200)],
    ['static file', n, () => expectStatus(fetch(`${base}${stylesheet}`), is200)],
    ['/healthz', n, () => expectStatus(fetch(`${base}/healthz`), is200)],
    [
      'forged cookie (GET /session)',
      n,
      () => expectStatus(fetch(`${base}/session`, { headers: { cookie: forged } }), is200),
    ],
    [
      'login',
      logins.length,
      (i) =>
        expectStatus(
          fetch(`${base}/login`, {
            method: 'POST',
            headers: formHeaders(logins[i]!.cookie),
            body: loginBody(logins[i]!.csrf),
            redirect: 'manual',
          }),
          (status) => status === 303,
        ),
    ],
  ]
  const costs: Record<string, RedisCost> = {}
  for (const [kind, count, send] of kinds) costs[kind] = await redisCost(redis, count, send)
  return costs
}

/** The peer's Redis cost of a page view and a pour, for comparison with the app's. */
async function measurePeerRedisCosts(redis: Redis, base: string, pool: SessionPair[]) {
  const send = (init: (pair: SessionPair) => [string, RequestInit]) => async (i: number) => {
    const [url, request] = init(pool[i % pool.length]!)
    const answer = await fetch(url, request)
    await answer.arrayBuffer()
    if (answer.status !== 200) throw new Error(`peer: unexpected status ${answer.status} from ${url}`)
  }
  const n = options.exactRequests
  return {
    'peer page view': await redisCost(
      redis,
      n,
      send((pair) => [`${base}/`, { headers: { cookie: pair.cookie } }]),
    ),
    'peer pour': await redisCost(
      redis,
      n,
      send((pair) => [`${base}/beer`, { method: 'POST', headers: pourHeaders(pair), body: '_csrf=none' }]),
    ),
  }
}

async function describeMachine(redis: Redis): Promise<Record<string, string | number>> {
  const serverInfo = await redis.info('server')
  let mysqlVersion = 'unknown'
  const connection = await mysql.createConnection({ uri: `${MYSQL_URL}/` }).catch(() => null)
  if (connection) {
    const [rows] = await connection.query('SELECT VERSION() AS version')
    mysqlVersion = String((rows as { version: string }[])[0]?.version)
    await connection.end()
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: Bun.spawnSync(['uname', '-sr']).stdout.toString().trim(),
    bun: Bun.version,
    redis: serverInfo.match(/^redis_version:(.+)$/m)?.[1]?.trim() ?? 'unknown',
    mysql: mysqlVersion,
  }
}

async function answersPing(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  // Refused connections while Redis starts are expected: connect() rejects, and this keeps ioredis from also printing them.
  client.on('error', () => {})
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } finally {
    client.disconnect()
  }
}

async function cleanUp(keepLogs: boolean): Promise<void> {
  if (redis && !privateRedis) {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== '0')
  }
  redis?.disconnect()
  await stopAll()
  const connection = await mysql.createConnection({ uri: `${MYSQL_URL}/` }).catch(() => null)
  if (connection) {
    await connection.query(`DROP DATABASE IF EXISTS \`${database}\``)
    await connection.end()
  }
  if (!keepLogs) rmSync(work, { recursive: true, force: true })
}

process.on('SIGINT', () => {
  log('interrupted: cleaning up')
  void cleanUp(false).finally(() => process.exit(130))
})

let failed = false
try {
  log(
    `load generator: ${generator.version}; ${pinned ? `pinned: server on CPU ${SERVER_CPU}, load generator and Redis on CPU ${LOAD_CPU}` : 'not pinned'}`,
  )
  const results = await main()
  writeFileSync(resolve(ROOT, options.output), `${JSON.stringify(results, null, 2)}\n`)
  const { machine, setup } = results
  console.log(`\n## Taproom load benchmark, ${results.date.slice(0, 10)}\n`)
  console.log(
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.kernel}; Bun ${machine.bun}, Redis ${machine.redis}, MySQL ${machine.mysql}.`,
  )
  console.log(
    `Load: ${setup.loadGenerator}, ${setup.connections} connections, ${setup.durationSeconds} s per run after ${setup.warmupSeconds} s warm-up, ${setup.sessionPool} sessions rotated; ${setup.pinning}; ${setup.redis}${setup.appEnv === 'none' ? '' : `; app environment ${setup.appEnv}`}.\n`,
  )
  console.log(markdown(results))
  console.log(`\nWritten to ${options.output}.`)
} catch (error) {
  log(`failed: ${(error as Error).stack ?? error}`)
  log(`logs kept in ${work}`)
  failed = true
  process.exitCode = 1
} finally {
  await cleanUp(failed)
}
