export const SCENARIOS = [
  'ceiling',
  'redis-bound',
  'new-visitor',
  'returning',
  'pour',
  'login',
  'login-storm',
  'login-flood',
] as const
export type ScenarioName = (typeof SCENARIOS)[number]

export type BenchOptions = {
  /** Seconds of each measured run. */
  duration: number
  /** Seconds of load before each measured run, not counted. */
  warmup: number
  connections: number
  loginConnections: number
  stormConnections: number
  /** Clients logging in at once in the login flood, and for how long. */
  floodClients: number
  floodSeconds: number
  /** Anonymous sessions created to measure Redis memory per session. */
  memorySessions: number
  /** Requests sent one after another to count Redis commands per request. */
  exactRequests: number
  /** Sessions made beforehand and rotated across connections. */
  poolSize: number
  scenarios: ScenarioName[]
  leakCheck: boolean
  /** Measure the tutorial's Express stack side by side. */
  peer: boolean
  /** What runs the peer: Node, as the tutorial did, or Bun. */
  peerRuntime: 'node' | 'bun'
  /** Run the app under Bun's CPU profiler and report where its time went. */
  cpuProfile: boolean
  loadGenerator: 'auto' | 'wrk' | 'autocannon'
  /** Extra environment for the app, e.g. to try BCRYPT_WORKERS or a runtime setting. */
  appEnv: Record<string, string>
  output: string
}

const USAGE = `Usage: bun run bench [options]
  --duration N        seconds per measured run (default 10)
  --warmup N          seconds of warm-up before each run (default 3)
  --connections N     connections for page scenarios (default 32)
  --sessions N        anonymous sessions for the Redis memory figure (default 100000)
  --exact N           sequential requests for the Redis command count (default 1000)
  --only a,b          run only these scenarios (${SCENARIOS.join(', ')})
  --flood-clients N   clients logging in at once in login-flood (default 1000)
  --flood-seconds N   length of the login flood (default 15)
  --no-leak-check     skip the three consecutive returning runs
  --no-peer           skip the tutorial's Express stack (tests/bench/peer)
  --peer-runtime R    node (default, as the tutorial ran) | bun
  --cpu-prof          run the app under Bun's CPU profiler and print its top entries
                      (the profiler costs throughput: use it to see where time goes, not for figures)
  --load-generator G  wrk | autocannon | auto (default auto: wrk when on PATH)
  --app-env NAME=VAL  extra environment for the app (repeatable)
  --output FILE       JSON results (default bench-results.json)`

/** Reads `--name value` and `--name=value` arguments; exits with the usage text on anything unknown. */
export function parseOptions(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    duration: 10,
    warmup: 3,
    connections: 32,
    loginConnections: 4,
    stormConnections: 8,
    floodClients: 1000,
    floodSeconds: 15,
    memorySessions: 100_000,
    exactRequests: 1000,
    poolSize: 200,
    scenarios: [...SCENARIOS],
    leakCheck: true,
    peer: true,
    peerRuntime: 'node',
    cpuProfile: false,
    loadGenerator: 'auto',
    appEnv: {},
    output: 'bench-results.json',
  }
  const args = argv.flatMap((arg) => (arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg]))
  const fail = (message: string): never => {
    console.error(`${message}\n\n${USAGE}`)
    process.exit(2)
  }
  const positive = (name: string, value: string | undefined) => {
    const number = Number(value)
    if (!value || !Number.isFinite(number) || number <= 0) fail(`${name} needs a positive number`)
    return number
  }
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!
    const value = () => args[++i]
    switch (name) {
      case '--duration':
        options.duration = positive(name, value())
        break
      case '--warmup':
        options.warmup = Number(value() ?? fail('--warmup needs a number'))
        if (!(options.warmup >= 0)) fail('--warmup needs a number of seconds')
        break
      case '--connections':
        options.connections = Math.round(positive(name, value()))
        break
      case '--sessions':
        options.memorySessions = Math.round(positive(name, value()))
        break
      case '--exact':
        options.exactRequests = Math.round(positive(name, value()))
        break
      case '--flood-clients':
        options.floodClients = Math.round(positive(name, value()))
        break
      case '--flood-seconds':
        options.floodSeconds = positive(name, value())
        break
      case '--only': {
        const names = (value() ?? '').split(',').filter(Boolean)
        const unknown = names.filter((scenario) => !SCENARIOS.includes(scenario as ScenarioName))
        if (names.length === 0 || unknown.length > 0) fail(`unknown scenario: ${unknown.join(', ') || '(none)'}`)
        options.scenarios = SCENARIOS.filter((scenario) => names.includes(scenario))
        break
      }
      case '--no-leak-check':
        options.leakCheck = false
        break
      case '--no-peer':
        options.peer = false
        break
      case '--peer-runtime': {
        const runtime = value()
        if (runtime !== 'node' && runtime !== 'bun') fail('--peer-runtime is node or bun')
        options.peerRuntime = runtime as BenchOptions['peerRuntime']
        break
      }
      case '--cpu-prof':
        options.cpuProfile = true
        break
      case '--load-generator': {
        const generator = value()
        if (generator !== 'auto' && generator !== 'wrk' && generator !== 'autocannon')
          fail('--load-generator is wrk, autocannon or auto')
        options.loadGenerator = generator as BenchOptions['loadGenerator']
        break
      }
      case '--app-env': {
        const [key, ...rest] = (value() ?? '').split('=')
        if (!key || rest.length === 0) fail('--app-env needs NAME=VALUE')
        options.appEnv[key!] = rest.join('=')
        break
      }
      case '--output':
        options.output = value() ?? fail('--output needs a file name')
        break
      case '--help':
      case '-h':
        console.log(USAGE)
        process.exit(0)
        break
      default:
        fail(`unknown option ${name}`)
    }
  }
  return options
}
