type Actor = 'browser' | 'app' | 'redis'
type Step = { phase: string } | { from: Actor; to: Actor; label: string }

const X: Record<Actor, number> = { browser: 80, app: 360, redis: 640 }
const WIDTH = 720
const TOP = 64
const ROW = 30

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

const HEIGHT = TOP + STEPS.length * ROW + 16

function Lifeline({ actor, name }: { actor: Actor; name: string }) {
  const x = X[actor]
  return (
    <g class={`actor actor-${actor}`}>
      <rect x={x - 70} y="8" width="140" height="36" rx="6" class="actor-box" fill="none" stroke="currentColor" />
      <text x={x} y="31" text-anchor="middle" class="actor-name" fill="currentColor">
        {name}
      </text>
      <line x1={x} y1="44" x2={x} y2={HEIGHT - 8} class="lifeline" stroke="currentColor" stroke-dasharray="4 4" />
    </g>
  )
}

/**
 * The life of a session as a sequence diagram: inline SVG, so it needs no
 * external asset and no script, and its text stays selectable and readable by
 * screen readers.
 */
export function SessionDiagram() {
  return (
    <svg
      class="diagram"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-labelledby="diagram-title diagram-desc"
      xmlns="http://www.w3.org/2000/svg"
    >
      <title id="diagram-title">The life of a session</title>
      <desc id="diagram-desc">
        Messages between the browser, the app and Redis on a first visit, a pour, a login that regenerates the session
        and a logout that destroys it.
      </desc>
      <defs>
        <marker
          id="arrowhead"
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
      <Lifeline actor="browser" name="Browser" />
      <Lifeline actor="app" name="App (Hono)" />
      <Lifeline actor="redis" name="Redis" />
      {STEPS.map((step, i) => {
        const y = TOP + i * ROW + ROW / 2
        if ('phase' in step) {
          return (
            <g class="phase">
              <rect x="4" y={y - 11} width={WIDTH - 8} height="22" rx="4" class="phase-band" fill="none" />
              <text x="12" y={y + 5} class="phase-name" fill="currentColor">
                {step.phase}
              </text>
            </g>
          )
        }
        const x1 = X[step.from]
        const x2 = X[step.to]
        const kind = step.to === 'redis' ? 'to-redis' : step.to === 'browser' ? 'reply' : 'request'
        return (
          <g class={`message ${kind}`}>
            <line
              x1={x1}
              y1={y + 6}
              x2={x2 + (x2 > x1 ? -2 : 2)}
              y2={y + 6}
              stroke="currentColor"
              marker-end="url(#arrowhead)"
            />
            <text x={(x1 + x2) / 2} y={y} text-anchor="middle" class="message-label" fill="currentColor">
              {step.label}
            </text>
          </g>
        )
      })}
    </svg>
  )
}
