import { afterEach, describe, expect, setSystemTime, test } from 'bun:test'
import fc from 'fast-check'
import { type AccessFields, accessFields } from '../src/http/access-log.ts'
import { createLogger, preformattedInfo } from '../src/log.ts'

afterEach(() => setSystemTime())

/** A client's request id is logged only when short and plain. */
const PLAIN = /^[\w.:-]{1,64}$/

/** The same fields through pino and through the hand-built line, at one frozen time. */
function bothWays(fields: AccessFields, at: Date) {
  const lines: string[] = []
  const logger = createLogger({ write: (line) => lines.push(line) })
  setSystemTime(at)
  const { clientRequestId } = fields
  logger.info(
    {
      type: 'access',
      ...fields,
      clientRequestId: clientRequestId && PLAIN.test(clientRequestId) ? clientRequestId : undefined,
    },
    'request',
  )
  preformattedInfo(logger, 'request')(accessFields(fields))
  return lines
}

const anyText = fc.string({ unit: 'grapheme', maxLength: 80 })
const plainId = fc.stringMatching(/^[\w.:-]{1,64}$/)

const accessFieldsArbitrary: fc.Arbitrary<AccessFields> = fc.record({
  requestId: fc.uuid(),
  clientRequestId: fc.oneof(fc.constant(undefined), plainId, anyText, fc.string({ maxLength: 80 })),
  method: fc.oneof(fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'), anyText),
  route: fc.oneof(fc.constantFrom('/', '/beer', '/account/sessions/:id/revoke', '*', '/*', ''), anyText),
  status: fc.integer({ min: 100, max: 599 }),
  ms: fc.integer({ min: 0, max: 10_000_000 }).map((tenths) => tenths / 10),
})

describe('the access line written by hand', () => {
  test('is byte for byte the line pino writes for the same fields', () => {
    fc.assert(
      fc.property(accessFieldsArbitrary, fc.date({ noInvalidDate: true }), (fields, at) => {
        const [viaPino, byHand] = bothWays(fields, at)
        expect(byHand).toBe(viaPino!)
      }),
      { numRuns: 2000 },
    )
  })

  test('escapes what a client controls', () => {
    const [viaPino, byHand] = bothWays(
      {
        requestId: crypto.randomUUID(),
        clientRequestId: '"},"x":1',
        method: 'G"E\\T\n',
        route: '/\u0000"',
        status: 200,
        ms: 1.5,
      },
      new Date(),
    )
    expect(byHand).toBe(viaPino!)
    expect(JSON.parse(byHand!)).toMatchObject({ method: 'G"E\\T\n', route: '/\u0000"', msg: 'request' })
    expect(JSON.parse(byHand!).clientRequestId).toBeUndefined()
  })
})
