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
      writeAll(fd, text)
    } catch {
      // A closed stdout, or one full for a second, must not take requests down with it; the lines are lost.
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

const PAUSE = new Int32Array(new SharedArrayBuffer(4))
const MAX_PAUSES = 1000

/*
 * A write to a non-blocking stdout (some supervisors' pipes) may take part of
 * the text, or none (EAGAIN) while the reader is behind: the rest is written
 * after it, pausing a millisecond at a time for at most a second.
 */
function writeAll(fd: number, text: string): void {
  let rest = Buffer.from(text)
  let pauses = 0
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(fd, rest))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || ++pauses > MAX_PAUSES) throw error
      Atomics.wait(PAUSE, 0, 0, 1)
    }
  }
}
