import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import '../src/app.ts'
import { BEER_STYLES, type Beer } from '../src/beer/generator.ts'
import { type TemplateSpec, templatedViews, templateRenderer } from '../src/http/view-template.ts'
import type { StoredSession } from '../src/session/store.ts'
import { articleFor } from '../src/views/partials/beer-result.tsx'
import { NAV_PATHS } from '../src/views/partials/site-nav.tsx'

/*
 * Every templated view, rendered with thousands of random props both from its
 * template and normally, must give the same HTML. A template is checked only
 * against the first render of its shape, so a branch added to a component
 * without a matching change to its `shape` would otherwise serve the first
 * visitor's markup to later ones.
 */

const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', '<script>alert(1)</script>', `"&'<>`, '0', '1234567890'),
)
const optional = <T,>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined })
const time = fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 })

// Keyed by every field, optional ones included: a field added to sessions fails to type-check here until it varies too.
const sessionFields: { [Field in keyof Required<StoredSession>]: fc.Arbitrary<StoredSession[Field]> } = {
  id: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 43 }),
  expiresAt: time,
  createdAt: time,
  lastSeenAt: time,
  beers: fc.oneof(fc.constant(0), fc.nat({ max: 20 }), fc.nat()),
  userId: optional(text),
  email: optional(text),
  device: optional(text),
  ip: optional(text),
  flash: optional(text),
  provedAt: optional(time),
  method: optional(fc.constantFrom('password', 'password+app', 'passkey', 'recovery-code')),
  retainedAt: optional(time),
  renewedFrom: optional(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 43 })),
  pendingUserId: optional(text),
  pendingUntil: optional(time),
  pendingNext: optional(text),
}
const session = fc.record(sessionFields)

/** A session and a clock from well before its expiry to past it, so the countdown takes every value down to 0. */
const sessionAndNow = fc
  .tuple(session, fc.integer({ min: -5_000, max: 4_000_000 }))
  .map(([value, ahead]) => ({ session: value, now: value.expiresAt - ahead }))

/* Idle times on both sides of five minutes, where the warning's threshold stops being a fifth of it; absolute deadlines from one equal to the idle time on. */
const lifetimes = fc
  .tuple(fc.integer({ min: 1, max: 7200 }), fc.integer({ min: 0, max: 40_000 }))
  .map(([idleSeconds, more]) => ({ idleSeconds, absoluteSeconds: idleSeconds + more }))

const csrfToken = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 43 })
const beer: fc.Arbitrary<Beer> = fc.record({ name: text, style: text })
/** The page an htmx answer's nav marks as current, if any. */
const navPath = fc.option(fc.constantFrom(...NAV_PATHS), { nil: undefined })

const propsOf: Record<string, fc.Arbitrary<unknown>> = {
  'session panel': fc
    .tuple(sessionAndNow, fc.option(csrfToken, { nil: null }))
    .map(([state, token]) => ({ ...state, csrfToken: token })),
  'home page': fc
    .tuple(sessionAndNow, csrfToken, optional(lifetimes))
    .map(([state, token, limits]) => ({ ...state, csrfToken: token, beer: null, lifetimes: limits })),
  'pour result': fc
    .tuple(sessionAndNow, fc.option(csrfToken, { nil: null }), fc.oneof(fc.constant('error' as const), beer), navPath)
    .map(([state, token, poured, nav]) => ({ ...state, csrfToken: token, beer: poured, nav })),
  'panel refresh': fc
    .tuple(sessionAndNow, fc.option(csrfToken, { nil: null }), navPath)
    .map(([state, token, nav]) => ({ ...state, csrfToken: token, nav })),
  'busy login': fc.record({
    csrfToken,
    email: text,
    next: optional(fc.oneof(text, fc.constantFrom('/', '/account/sessions', '/account/security?tab=1&x=<b>'))),
    page: fc.boolean(),
  }),
  'busy signup': fc.record({ csrfToken, email: text, page: fc.boolean() }),
}

// Each run is a series of visitors through one fresh template cache, so every
// visitor gets to be the first of its shape and every later one is filled in.
const RUNS = 300
const VISITORS = 25

// biome-ignore lint/suspicious/noExplicitAny: specs of every props type
function firstMismatch(spec: TemplateSpec<any, string>, props: fc.Arbitrary<unknown>) {
  const result = fc.check(
    fc.property(fc.array(props, { minLength: 1, maxLength: VISITORS }), (visitors) => {
      const fast = templateRenderer(spec)
      return visitors.every((value) => fast(value) === spec.render(value))
    }),
    { numRuns: RUNS },
  )
  return result.failed ? result.counterexample : null
}

describe('templated views', () => {
  test('every templated view has random props here', () => {
    const names = [...templatedViews().keys()]
    expect(names.length).toBeGreaterThan(0)
    expect(names.filter((name) => !(name in propsOf))).toEqual([])
  })

  for (const [name, spec] of templatedViews()) {
    test(`${name}: the template gives exactly the normal render for random props`, () => {
      const props = propsOf[name]
      if (!props) throw new Error(`no random props for the templated view "${name}"`)
      expect(firstMismatch(spec, props)).toBeNull()
    })
  }

  test('a branch the shape does not name is caught', () => {
    const panel = templatedViews().get('session panel')!
    const withHiddenBranch = {
      ...panel,
      render: (props: { session: StoredSession }) =>
        props.session.beers > 5 ? panel.render(props).replace('Session Info', 'Regular') : panel.render(props),
    }
    expect(firstMismatch(withHiddenBranch, propsOf['session panel']!)).not.toBeNull()
  })
})

/*
 * A shape whose template does not reproduce the normal render is rendered
 * normally every time: still correct, but the slow path. A slot that decides
 * markup beyond its own text (the style choosing "a" or "an") does that, so
 * every view is checked to fill the second visitor of a shape from its
 * template, for random props and for every style the generator pours.
 */
describe('templated views stay on the fast path', () => {
  // biome-ignore lint/suspicious/noExplicitAny: specs of every props type
  function normalRendersForRepeat(spec: TemplateSpec<any, string>, props: unknown): number {
    let renders = 0
    const fast = templateRenderer({
      ...spec,
      render: (value: unknown) => {
        renders++
        return spec.render(value)
      },
    })
    fast(props)
    renders = 0
    fast(props)
    return renders
  }

  for (const [name, spec] of templatedViews()) {
    test(`${name}: a second visitor of a shape is filled from the template`, () => {
      const props = propsOf[name]
      if (!props) throw new Error(`no random props for the templated view "${name}"`)
      const result = fc.check(
        fc.property(props, (value) => normalRendersForRepeat(spec, value) === 0),
        { numRuns: RUNS },
      )
      expect(result.failed ? result.counterexample : null).toBeNull()
    })
  }

  test('pour result: every style the generator pours, with "a" and with "an"', () => {
    const spec = templatedViews().get('pour result')!
    const [{ session: stored, now }] = fc.sample(sessionAndNow, 1) as [{ session: StoredSession; now: number }]
    const slow = BEER_STYLES.filter((style) =>
      normalRendersForRepeat(spec, {
        session: { ...stored, beers: 3, flash: undefined },
        now,
        csrfToken: 'token',
        beer: { name: 'Hazy Banjo', style },
        nav: undefined,
      }),
    )
    expect(BEER_STYLES.some((style) => articleFor(style) === 'an')).toBe(true)
    expect(slow).toEqual([])
  })
})
