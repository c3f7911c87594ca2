import type { StoredSession } from '../../session/store.ts'

export type PanelProps = {
  session: StoredSession | null
  now: number
  csrfToken: string | null
  oob?: boolean
  /** The countdown as shown; computed from the seconds left when absent (view templates pass it to mark its slot). */
  clock?: string
}

/** Whole seconds until the session expires, as the countdown starts from. */
export function secondsLeft(session: StoredSession, now: number): number {
  return Math.max(0, Math.ceil((session.expiresAt - now) / 1000))
}

const two = (n: number) => String(n).padStart(2, '0')

/** "29:41", or "2:05:09" from an hour up: how the countdown reads (public/app.js formats it the same way). */
export function formatClock(seconds: number): string {
  const hours = Math.floor(seconds / 3600)
  const minutes = Math.floor((seconds % 3600) / 60)
  return hours > 0 ? `${hours}:${two(minutes)}:${two(seconds % 60)}` : `${minutes}:${two(seconds % 60)}`
}

/**
 * The session panel, the same markup whether it is part of a page, the answer
 * to GET /session, or swapped out-of-band after a pour. It is not a live
 * region: a pour announces one short status line instead (see PourStatus), and
 * the ticking countdown must stay silent.
 */
export function SessionPanel({ session, now, csrfToken, oob, clock }: PanelProps) {
  const oobAttributes = oob ? { 'hx-swap-oob': 'true' } : {}
  if (!session) {
    return (
      <section
        id="session-panel"
        class="session-panel"
        aria-labelledby="session-panel-heading"
        data-expires-in="0"
        data-csrf-token={csrfToken ?? undefined}
        {...oobAttributes}
      >
        <h2 id="session-panel-heading">Session Info</h2>
        <p class="countdown">Your session has ended. Your next action starts a new one.</p>
        <p data-login-state>Not logged in</p>
      </section>
    )
  }
  const expiresIn = secondsLeft(session, now)
  return (
    <section
      id="session-panel"
      class="session-panel"
      aria-labelledby="session-panel-heading"
      data-session-id={session.id}
      data-expires-in={String(expiresIn)}
      data-expires-at={String(session.expiresAt)}
      data-beers-viewed={String(session.beers)}
      data-user-email={session.email || undefined}
      data-csrf-token={csrfToken ?? undefined}
      {...oobAttributes}
    >
      <h2 id="session-panel-heading">Session Info</h2>
      <p>
        Session ID: <code>{session.id}</code>
      </p>
      <p class="countdown">
        Session expires in{' '}
        <span data-countdown aria-live="off">
          {clock ?? formatClock(expiresIn)}
        </span>
      </p>
      <p>
        {session.beers > 0 ? `Beers viewed in this session: ${session.beers}` : 'No beers viewed yet in this session.'}
      </p>
      <p data-login-state>{session.email ? `Logged in as: ${session.email}` : 'Not logged in'}</p>
    </section>
  )
}
