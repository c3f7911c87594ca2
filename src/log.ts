import pino from 'pino'
import { batchedOutput } from './log-output.ts'
import './tracing-channel.ts'

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** The one logger: JSON lines of time, level, msg and fields (a request's requestId among them). */
export type Logger = pino.Logger

/**
 * The process's logger, writing JSON lines to stdout (or to `write`, one line
 * per call, for tests). Lines reach stdout within the same turn of the event
 * loop, in one write per turn (see batchedOutput), and before the process
 * exits, so a supervisor sees them as they happen and a crash loses none
 * (pino's own buffered mode left lines stuck under Bun).
 */
export function createLogger({ level = 'info', write }: { level?: LogLevel; write?: (line: string) => void } = {}) {
  const destination = write ? { write } : batchedOutput()
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  )
}

/**
 * Writes info lines with one fixed message, whose fields come already as JSON
 * (`"key":value` pairs joined by commas), exactly as the logger itself would
 * write them but without pino's generic serialisation: for the line every
 * request writes (see accessLog), where pino cost more than the rest of the
 * access log together. `logger` is one from createLogger (no child bindings);
 * the caller checks its level. It writes past pino to the logger's stream, so
 * it matches pino's lines only while createLogger sets no base fields, mixin,
 * redaction or multistream: tests/access-log-line.test.ts compares the two.
 */
export function preformattedInfo(logger: Logger, msg: string): (fields: string) => void {
  const output = (logger as unknown as Record<symbol, { write(line: string): void }>)[pino.symbols.streamSym]!
  const end = `,"msg":${JSON.stringify(msg)}}\n`
  return function writeInfo(fields) {
    output.write(`{"level":"info","time":"${new Date().toISOString()}",${fields}${end}`)
  }
}

type ErrorLike = { name?: unknown; code?: unknown; message?: unknown; stack?: unknown; cause?: unknown }

/*
 * Driver errors repeat what was sent: Drizzle's and mysql2's name the query
 * and its parameters (emails, password hashes), a duplicate-key message quotes
 * the value, ioredis's carry the command's arguments (session data). Such
 * errors are logged by name and code only.
 */
const CARRIES_INPUT = ['sql', 'sqlMessage', 'query', 'params', 'command', 'args']

function carriesInput(error: unknown): boolean {
  let e: unknown = error
  for (let depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    const current = e as Record<string, unknown>
    if (CARRIES_INPUT.some((key) => key in current)) return true
    if (typeof current.message === 'string' && /\bparams:|Failed query/.test(current.message)) return true
    e = current.cause
  }
  return false
}

/* A safety net for our own messages: anything shaped like an email or a bcrypt hash is cut out. */
function redact(message: string): string {
  return message
    .slice(0, 300)
    .replace(/[^\s@'"<>]+@[^\s@'"<>]+/g, '[email]')
    .replace(/\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}/g, '[hash]')
}

/**
 * What may be logged of an error: its name and the codes along its cause chain
 * (ECONNREFUSED, ER_DUP_ENTRY, OOM…), the message only when no error in the
 * chain repeats a query or a command (and even then without anything shaped
 * like an email or a password hash), and the stack's frames (never its first
 * line, which repeats the message).
 */
export function describeError(error: unknown, { stack = false } = {}): Record<string, unknown> {
  const first = (error ?? {}) as ErrorLike
  const codes: string[] = []
  for (let e = first as ErrorLike | undefined, depth = 0; e && depth < 8; depth++, e = e.cause as ErrorLike) {
    if (typeof e !== 'object') break
    if (typeof e.code === 'string' || typeof e.code === 'number') codes.push(String(e.code))
  }
  const described: Record<string, unknown> = { errorName: typeof first.name === 'string' ? first.name : typeof error }
  if (codes.length > 0) described.errorCode = codes.join(' < ')
  if (!carriesInput(error) && typeof first.message === 'string') described.errorMessage = redact(first.message)
  if (stack && typeof first.stack === 'string') {
    described.stack = first.stack
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .join('\n')
  }
  return described
}

/**
 * Logs a failure that may repeat thousands of times a second (a 503 per
 * request while Redis is full) as at most one line per cause per second: the
 * first at once; then, for as long as it keeps happening, one line a second
 * with the count of the ones not logged. Causes are a fixed vocabulary of our
 * own (never input), so the map of open windows stays small.
 */
export function rateLimitedLog(logger: Logger, windowMs = 1000) {
  type Window = { level: 'warn' | 'error'; suppressed: number; fields: Record<string, unknown>; msg: string }
  const windows = new Map<string, Window>()
  const close = (cause: string, window: Window) => {
    if (window.suppressed === 0) {
      windows.delete(cause)
      return
    }
    const { level, suppressed, fields, msg } = window
    logger[level]({ cause, ...fields, repeated: suppressed }, `${msg} (${suppressed} times in the last second)`)
    window.suppressed = 0
    setTimeout(() => close(cause, window), windowMs).unref?.()
  }
  return function logFailure(
    level: 'warn' | 'error',
    cause: string,
    fields: Record<string, unknown>,
    msg: string,
  ): void {
    const open = windows.get(cause)
    if (open) {
      open.suppressed++
      open.fields = fields
      open.msg = msg
      return
    }
    logger[level]({ cause, ...fields }, msg)
    const window: Window = { level, suppressed: 0, fields, msg }
    windows.set(cause, window)
    setTimeout(() => close(cause, window), windowMs).unref?.()
  }
}

export type FailureLog = ReturnType<typeof rateLimitedLog>
