import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import type { Subprocess } from 'bun'

const CLOCK_TICKS_PER_SECOND = Number(Bun.spawnSync(['getconf', 'CLK_TCK']).stdout.toString().trim()) || 100

export type Child = { name: string; process: Subprocess; pid: number }

const running = new Set<Child>()

/** A loopback port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/**
 * Starts a process, on the given CPUs when `cpus` is set (taskset execs the
 * command, so the pid is the command's own), with its output in `logFile`.
 */
export function start(
  name: string,
  command: string[],
  { cpus, env, logFile, cwd }: { cpus: string | null; env?: Record<string, string>; logFile: string; cwd?: string },
): Child {
  const argv = cpus ? ['taskset', '-c', cpus, ...command] : command
  const output = openSync(logFile, 'a')
  const child = Bun.spawn(argv, {
    cwd,
    env: env ?? (process.env as Record<string, string>),
    stdout: output,
    stderr: output,
    stdin: 'ignore',
  })
  closeSync(output)
  const entry = { name, process: child, pid: child.pid }
  running.add(entry)
  void child.exited.then(() => running.delete(entry))
  return entry
}

/** Asks a child to stop (SIGTERM), and kills it when it has not after `graceMs`. */
export async function stop(child: Child, graceMs = 15_000): Promise<number | null> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return child.process.exitCode
  child.process.kill('SIGTERM')
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs)
  const code = await child.process.exited
  clearTimeout(timer)
  return code
}

/** Stops every child still running (on the way out, also after a failure). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stop(child, 5000)))
}

/** Polls until `probe` holds, failing with `what` after `timeoutMs` or when `child` exits first. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  { child, timeoutMs = 60_000 }: { child?: Child; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child && child.process.exitCode !== null)
      throw new Error(`${child.name} exited with code ${child.process.exitCode} before ${what}`)
    if (await probe().catch(() => false)) return
    await Bun.sleep(100)
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Whether GET `url` answers 200. */
export async function answers(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
  await response.arrayBuffer()
  return response.status === 200
}

/** Server CPU time so far (user + system, all threads), in milliseconds. */
export const cpuMs = (pid: number) => statCpuMs(`/proc/${pid}/stat`)

/** CPU time so far of one thread of a process (the main thread's id is the pid), in milliseconds. */
export const threadCpuMs = (pid: number, tid: number) => statCpuMs(`/proc/${pid}/task/${tid}/stat`)

/** CPU time so far of a process's threads, in milliseconds, summed by thread name (`main` for the main thread). */
export function cpuMsByThread(pid: number): Map<string, number> {
  const byName = new Map<string, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = tid === String(pid) ? 'main' : readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()
      byName.set(name, (byName.get(name) ?? 0) + threadCpuMs(pid, Number(tid)))
    } catch {
      // The thread ended meanwhile.
    }
  }
  return byName
}

function statCpuMs(file: string): number {
  const stat = readFileSync(file, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND
}

function statusField(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))
  return match ? Number(match[1]) * 1024 : 0
}

/** Peak resident memory (VmHWM) in bytes, since start or the last resetPeakRss. */
export const peakRss = (pid: number) => statusField(pid, 'VmHWM')

/** Resident memory now (VmRSS) in bytes. */
export const currentRss = (pid: number) => statusField(pid, 'VmRSS')

const peaksBeforeReset = new Map<number, number>()

/** The highest resident memory since the process started, in bytes: VmHWM now, or as it stood before a reset. */
export const peakRssSinceStart = (pid: number) => Math.max(peaksBeforeReset.get(pid) ?? 0, peakRss(pid))

/** Restarts VmHWM from the current RSS (noting the peak so far for peakRssSinceStart); false where the kernel does not allow it. */
export function resetPeakRss(pid: number): boolean {
  peaksBeforeReset.set(pid, peakRssSinceStart(pid))
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5')
    return true
  } catch {
    return false
  }
}

/** Moves a running process, every thread of it, onto these CPUs. */
export function pin(pid: number, cpus: string): void {
  const result = Bun.spawnSync(['taskset', '-a', '-p', '-c', cpus, String(pid)])
  if (result.exitCode !== 0) throw new Error(`taskset failed for ${pid}: ${result.stderr.toString().trim()}`)
}
