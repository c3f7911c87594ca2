import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import autocannon from 'autocannon'

export type LoadMode = 'plain' | 'returning' | 'pour' | 'login' | 'flood'

export type LoadSpec = {
  url: string
  mode: LoadMode
  connections: number
  seconds: number
  /** "cookie token" lines for the rotating modes ("cookie token email" for flood). */
  sessionsFile?: string
  timeoutSeconds?: number
}

export type LoadResult = {
  requests: number
  seconds: number
  rps: number
  p50Ms: number
  p99Ms: number
  /** Responses that were not 2xx or 3xx. */
  badStatus: number
  socketErrors: number
  /** Answers by status (303, 403, 429, 503, other); counted in flood mode only. */
  statuses?: Record<string, number>
  /** CPU the load generator used (user + system), in ms (autocannon: the whole bench process meanwhile). */
  generatorCpuMs: number
}

export type LoadGenerator = {
  name: string
  version: string
  run(spec: LoadSpec): Promise<LoadResult>
}

const LUA_SCRIPT = join(import.meta.dir, 'wrk-scenario.lua')
const DEMO_EMAIL = 'test%40example.com'
const loginBody = (email: string, csrf: string) => `email=${email}&password=password&_csrf=${csrf}`

/**
 * wrk, one thread, on the CPUs given (it costs far less CPU per request than
 * a generator written in JavaScript, which matters when it shares 2 cores).
 */
export function wrk(cpus: string | null): LoadGenerator {
  const version = Bun.spawnSync(['wrk', '--version']).stdout.toString().split('\n')[0]?.split(' [')[0] ?? 'wrk'
  return {
    name: 'wrk',
    version,
    async run(spec) {
      const argv = [
        'wrk',
        '-t1',
        `-c${spec.connections}`,
        `-d${Math.max(1, Math.round(spec.seconds))}s`,
        `--timeout`,
        `${spec.timeoutSeconds ?? 2}s`,
        '-s',
        LUA_SCRIPT,
        spec.url,
      ]
      const child = Bun.spawn(cpus ? ['taskset', '-c', cpus, ...argv] : argv, {
        env: { ...process.env, BENCH_MODE: spec.mode, BENCH_SESSIONS: spec.sessionsFile ?? '' },
        stdout: 'pipe',
        stderr: 'pipe',
      })
      const [output, errors, code] = await Promise.all([
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
        child.exited,
      ])
      const line = output.split('\n').find((entry) => entry.startsWith('BENCH_RESULT '))
      if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${errors || output}`)
      const figures = JSON.parse(line.slice('BENCH_RESULT '.length)) as {
        requests: number
        durationUs: number
        p50Us: number
        p99Us: number
        statusErrors: number
        socketErrors: number
        statuses?: Record<string, number>
      }
      const seconds = figures.durationUs / 1e6
      return {
        requests: figures.requests,
        seconds,
        rps: figures.requests / seconds,
        p50Ms: figures.p50Us / 1000,
        p99Ms: figures.p99Us / 1000,
        badStatus: figures.statusErrors,
        socketErrors: figures.socketErrors,
        statuses: figures.statuses,
        generatorCpuMs: Number(child.resourceUsage()?.cpuTime.total ?? 0) / 1000,
      }
    },
  }
}

/** autocannon from npm, in this process (which the bench pins to the load generator's CPU). */
export function autocannonGenerator(): LoadGenerator {
  const { version } = JSON.parse(
    readFileSync(join(import.meta.dir, '../../node_modules/autocannon/package.json'), 'utf8'),
  ) as { version: string }
  return {
    name: 'autocannon',
    version: `autocannon ${version}`,
    async run(spec) {
      const lines = spec.sessionsFile ? sessionLines(spec.sessionsFile) : []
      let index = 0
      const next = () => {
        index = (index + 1) % lines.length
        return lines[index]!
      }
      const setupRequest =
        spec.mode === 'plain'
          ? undefined
          : () => {
              const [cookie, csrf, email] = next()
              if (spec.mode === 'returning') return { method: 'GET', path: '/', headers: { cookie } }
              const form = { cookie, 'content-type': 'application/x-www-form-urlencoded' }
              if (spec.mode === 'pour')
                return {
                  method: 'POST',
                  path: '/beer',
                  headers: { ...form, 'hx-request': 'true', 'x-csrf-token': csrf },
                  body: `_csrf=${csrf}`,
                }
              if (spec.mode === 'flood')
                return { method: 'POST', path: '/login', headers: form, body: loginBody(email!, csrf) }
              return { method: 'POST', path: '/login', headers: form, body: loginBody(DEMO_EMAIL, csrf) }
            }
      const cpuBefore = process.cpuUsage()
      const result = await autocannon({
        url: spec.url,
        connections: spec.connections,
        duration: spec.seconds,
        timeout: spec.timeoutSeconds ?? 2,
        requests: setupRequest ? [{ setupRequest }] : undefined,
      })
      let requests = 0
      let badStatus = 0
      const statuses: Record<string, number> = { 303: 0, 403: 0, 429: 0, 503: 0, other: 0 }
      for (const [status, { count }] of Object.entries(result.statusCodeStats)) {
        requests += Number(count)
        if (Number(status) >= 400) badStatus += Number(count)
        statuses[status in statuses ? status : 'other']! += Number(count)
      }
      return {
        requests,
        seconds: result.duration,
        rps: requests / result.duration,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        badStatus,
        socketErrors: result.errors,
        statuses: spec.mode === 'flood' ? statuses : undefined,
        generatorCpuMs: sumCpuMs(process.cpuUsage(cpuBefore)),
      }
    },
  }
}

const sumCpuMs = ({ user, system }: NodeJS.CpuUsage) => (user + system) / 1000

function sessionLines(file: string): [string, string, string?][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ') as [string, string, string?])
}
