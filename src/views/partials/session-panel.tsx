import type { StoredSession } from '../../session/store.ts'

export type PanelProps = {
  session: StoredSession | null
  now: number
  csrfToken: string | null
  oob?: boolean
}

/** Whole seconds until the session expires, as the countdown starts from. */
export function secondsLeft(session: StoredSession, now: number): number {
  return Math.max(0, Math.ceil((session.expiresAt - now) / 1000))
}

/**
 * The session panel, the same markup whether it is part of a page, the answer
 * to GET /session, or swapped out-of-band after a pour.
 */
export function SessionPanel({ session, now, csrfToken, oob }: PanelProps) {
  const oobAttributes = oob ? { 'hx-swap-oob': 'true' } : {}
  if (!session) {
    return (
      <section id="session-panel" class="session-panel" aria-live="polite" data-expires-in="0" {...oobAttributes}>
        <h2>Session Info</h2>
        <p>Your session has expired. Reload the page to start a new one.</p>
      </section>
    )
  }
  const expiresIn = secondsLeft(session, now)
  return (
    <section
      id="session-panel"
      class="session-panel"
      aria-live="polite"
      data-session-id={session.id}
      data-expires-in={String(expiresIn)}
      data-expires-at={String(session.expiresAt)}
      data-beers-viewed={String(session.beers)}
      data-user-email={session.email || undefined}
      data-csrf-token={csrfToken ?? undefined}
      {...oobAttributes}
    >
      <h2>Session Info</h2>
      <p>
        Session ID: <code>{session.id}</code>
      </p>
      <p class="countdown">
        Session expires in{' '}
        <span data-countdown aria-live="off">
          {expiresIn}
        </span>{' '}
        seconds
      </p>
      <p>
        {session.beers > 0 ? `Beers viewed in this session: ${session.beers}` : 'No beers viewed yet in this session.'}
      </p>
      <p>{session.email ? `Logged in as: ${session.email}` : 'Not logged in'}</p>
    </section>
  )
}
