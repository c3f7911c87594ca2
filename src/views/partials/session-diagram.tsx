type Actor = 'browser' | 'app' | 'redis'
type Step = { phase: string } | { from: Actor; to: Actor; label: string }

/*
 * Two drawings of the same steps: the wide one beside its arrows, the narrow
 * one (phones) with each label on its own line above a shorter arrow, so its
 * text stays at full size instead of shrinking to a third.
 */
type Geometry = {
  name: 'wide' | 'narrow'
  x: Record<Actor, number>
  width: number
  box: number
  row: number
  /** Where a message's label starts: centred over its arrow, or flush left above it. */
  labelAt: (x1: number, x2: number) => { x: number; anchor: 'middle' | 'start' }
  /** How far below the label its arrow runs. */
  arrowDrop: number
}

const WIDE: Geometry = {
  name: 'wide',
  x: { browser: 80, app: 360, redis: 640 },
  width: 720,
  box: 140,
  row: 30,
  labelAt: (x1, x2) => ({ x: (x1 + x2) / 2, anchor: 'middle' }),
  arrowDrop: 6,
}

const NARROW: Geometry = {
  name: 'narrow',
  x: { browser: 44, app: 180, redis: 316 },
  width: 360,
  box: 80,
  row: 40,
  labelAt: () => ({ x: 8, anchor: 'start' }),
  arrowDrop: 12,
}

const TOP = 64

const STEPS: Step[] = [
  { phase: '1 · First visit' },
  { from: 'browser', to: 'app', label: 'GET /  (no cookie yet)' },
  { from: 'app', to: 'redis', label: 'HSET s:‹id› c … · PEXPIRE idle' },
  { from: 'app', to: 'browser', label: 'Set-Cookie: token.signature' },
  { phase: '2 · Pour' },
  { from: 'browser', to: 'app', label: 'POST /beer · cookie · CSRF token' },
  { from: 'app', to: 'redis', label: 'one script: HINCRBY b 1 · slide TTL' },
  { from: 'app', to: 'browser', label: 'beer name + panel (htmx swap)' },
  { phase: '3 · Log in: regenerate' },
  { from: 'browser', to: 'app', label: 'POST /login · email + password' },
  { from: 'app', to: 'redis', label: 'take s:‹old id› (HGETALL + DEL)' },
  { from: 'app', to: 'redis', label: 'HSET s:‹new id› … u m · ZADD u:‹user›' },
  { from: 'app', to: 'browser', label: 'new cookie · the old token is dead' },
  { phase: '4 · Log out: destroy' },
  { from: 'browser', to: 'app', label: 'POST /logout · CSRF token' },
  { from: 'app', to: 'redis', label: 'take s:‹id› · ZREM u:‹user› ‹id›' },
  { from: 'app', to: 'browser', label: 'cookie cleared · a fresh session says “Logged out.”' },
]

function Lifeline({
  actor,
  name,
  geometry,
  height,
}: {
  actor: Actor
  name: string
  geometry: Geometry
  height: number
}) {
  const x = geometry.x[actor]
  const half = geometry.box / 2
  return (
    <g class={`actor actor-${actor}`}>
      <rect
        x={x - half}
        y="8"
        width={geometry.box}
        height="36"
        rx="6"
        class="actor-box"
        fill="none"
        stroke="currentColor"
      />
      <text x={x} y="31" text-anchor="middle" class="actor-name" fill="currentColor">
        {name}
      </text>
      <line x1={x} y1="44" x2={x} y2={height - 8} class="lifeline" stroke="currentColor" stroke-dasharray="4 4" />
    </g>
  )
}

const KINDS = {
  'to-redis': 'the app asks Redis',
  reply: 'the app answers the browser',
  request: 'the browser asks the app',
}

function kindOf(step: { from: Actor; to: Actor }): keyof typeof KINDS {
  return step.to === 'redis' ? 'to-redis' : step.to === 'browser' ? 'reply' : 'request'
}

function Drawing({ geometry }: { geometry: Geometry }) {
  const { row, width, name } = geometry
  const height = TOP + STEPS.length * row + 16
  const id = (part: string) => `diagram-${name}-${part}`
  return (
    <svg
      class={`diagram diagram-${name}`}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-labelledby={`${id('title')} ${id('desc')}`}
      xmlns="http://www.w3.org/2000/svg"
    >
      <title id={id('title')}>The life of a session</title>
      <desc id={id('desc')}>
        Messages between the browser, the app and Redis on a first visit, a pour, a login that regenerates the session
        and a logout that destroys it.
      </desc>
      <defs>
        <marker
          id={id('arrowhead')}
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="8"
          markerHeight="8"
          orient="auto-start-reverse"
        >
          <path d="M0,0 L10,5 L0,10 z" fill="currentColor" />
        </marker>
      </defs>
      <Lifeline actor="browser" name="Browser" geometry={geometry} height={height} />
      <Lifeline actor="app" name={name === 'wide' ? 'App (Hono)' : 'App'} geometry={geometry} height={height} />
      <Lifeline actor="redis" name="Redis" geometry={geometry} height={height} />
      {STEPS.map((step, i) => {
        const y = TOP + i * row + row / 2
        if ('phase' in step) {
          return (
            <g class="phase">
              <rect x="4" y={y - 11} width={width - 8} height="22" rx="4" class="phase-band" fill="none" />
              <text x="12" y={y + 5} class="phase-name" fill="currentColor">
                {step.phase}
              </text>
            </g>
          )
        }
        const x1 = geometry.x[step.from]
        const x2 = geometry.x[step.to]
        const label = geometry.labelAt(x1, x2)
        const top = name === 'wide' ? y : y - 6
        return (
          <g class={`message ${kindOf(step)}`}>
            <line
              x1={x1}
              y1={top + geometry.arrowDrop}
              x2={x2 + (x2 > x1 ? -2 : 2)}
              y2={top + geometry.arrowDrop}
              stroke="currentColor"
              marker-end={`url(#${id('arrowhead')})`}
            />
            <text x={label.x} y={top} text-anchor={label.anchor} class="message-label" fill="currentColor">
              {step.label}
            </text>
          </g>
        )
      })}
    </svg>
  )
}

/**
 * The life of a session as a sequence diagram: inline SVG, so it needs no
 * external asset and no script, and its text stays selectable and readable by
 * screen readers. A wide and a narrow drawing (CSS shows the one that fits)
 * and a legend for the arrows, which differ in dash as well as colour.
 */
export function SessionDiagram() {
  return (
    <figure class="diagram-figure">
      <Drawing geometry={WIDE} />
      <Drawing geometry={NARROW} />
      <figcaption>
        <ul class="diagram-legend">
          {Object.entries(KINDS).map(([kind, meaning]) => (
            <li class={`legend-${kind}`}>
              <svg class="legend-swatch" viewBox="0 0 32 8" aria-hidden="true">
                <line x1="0" y1="4" x2="32" y2="4" stroke="currentColor" />
              </svg>
              {meaning}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  )
}
