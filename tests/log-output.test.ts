import { describe, expect, test } from 'bun:test'
import { resolve } from 'node:path'

const LOG = resolve(import.meta.dir, '../src/log.ts')

/** Runs `body` in a fresh Bun process with `logger` in scope; returns its exit code and stdout lines. */
async function run(body: string) {
  const script = `import { createLogger } from ${JSON.stringify(LOG)}\nconst logger = createLogger()\n${body}`
  const child = Bun.spawn([process.execPath, '-e', script], { stdout: 'pipe', stderr: 'pipe' })
  const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited])
  return {
    code,
    lines: stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).msg as string),
  }
}

describe('log lines gathered per turn of the event loop', () => {
  test('reach stdout in order while the process keeps running', async () => {
    const { code, lines } = await run(
      `logger.info('one'); logger.warn('two')
       await new Promise((resolve) => setTimeout(resolve, 20))
       logger.info('three')
       await new Promise((resolve) => setTimeout(resolve, 20))`,
    )
    expect(code).toBe(0)
    expect(lines).toEqual(['one', 'two', 'three'])
  })

  test('are not lost when the process exits in the same turn', async () => {
    const { code, lines } = await run(`logger.info('before exit'); process.exit(3)`)
    expect(code).toBe(3)
    expect(lines).toEqual(['before exit'])
  })

  test('are not lost when an uncaught error ends the process', async () => {
    const { code, lines } = await run(`logger.error('about to fail'); throw new Error('boom')`)
    expect(code).not.toBe(0)
    expect(lines).toEqual(['about to fail'])
  })

  test('a busy turn is written as one write, not one per line', async () => {
    const { lines } = await run(
      `const { writeSync } = await import('node:fs')
       for (let i = 0; i < 1000; i++) logger.info('line ' + i)
       writeSync(1, JSON.stringify({ msg: 'written directly' }) + '\\n')`,
    )
    // The direct write overtakes the thousand held lines: they were still held when it ran.
    expect(lines[0]).toBe('written directly')
    expect(lines).toHaveLength(1001)
    expect(lines.at(-1)).toBe('line 999')
  })
})

describe('a batch larger than the pipe holds', () => {
  test('reaches a reader that is slow to read, whole and in order', async () => {
    const count = 20_000
    const script = `import { createLogger } from ${JSON.stringify(LOG)}
const logger = createLogger()
for (let i = 0; i < ${count}; i++) logger.info('line ' + i + ' ' + 'x'.repeat(100))
await new Promise((resolve) => setTimeout(resolve, 50))`
    const child = Bun.spawn([process.execPath, '-e', script], { stdout: 'pipe', stderr: 'pipe' })
    // The reader starts late: the child's first write finds the pipe (64 KiB) full long before 2 MB are written.
    await Bun.sleep(300)
    const [stdout, code] = await Promise.all([new Response(child.stdout).text(), child.exited])
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line).msg as string)
    expect(code).toBe(0)
    expect(lines).toHaveLength(count)
    expect(lines.at(-1)).toStartWith(`line ${count - 1} `)
  })
})
