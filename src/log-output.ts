import { writeSync } from 'node:fs'

export type LogOutput = { write(line: string): void; flush(): void }

/**
 * Log lines to a file descriptor (stdout), gathered while the event loop is
 * busy and written in one synchronous write when it turns: under load a
 * write system call per request cost more than the rest of the access log.
 * Nothing is held longer than one turn of the loop, and what is still held
 * when the process exits — by a signal handler, process.exit() or an uncaught
 * error — is written before it does.
 */
export function batchedOutput(fd = 1): LogOutput {
  let held: string[] = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (held.length === 0) return
    const text = held.join('')
    held = []
    try {
      writeSync(fd, text)
    } catch {
      // A closed or full stdout must not take requests down with it; the lines are lost, as a sync write would lose them.
    }
  }
  process.on('exit', flush)
  return {
    write(line) {
      held.push(line)
      if (scheduled) return
      scheduled = true
      setImmediate(flush)
    },
    flush,
  }
}
