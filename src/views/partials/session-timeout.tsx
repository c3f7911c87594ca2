import type { StoredSession } from '../../session/store.ts'
import { CsrfField } from './csrf-field.tsx'
import { secondsLeft } from './session-panel.tsx'

export type SessionLifetimes = { idleSeconds: number; absoluteSeconds: number }

export type SessionTimeoutProps = {
  session: StoredSession
  now: number
  lifetimes: SessionLifetimes
  csrfToken: string
  oob?: boolean
}

/** The warning's props for a page showing this session now. */
export function timeoutFor(
  session: StoredSession & { csrfToken: string },
  now: number,
  lifetimes: SessionLifetimes,
): SessionTimeoutProps {
  return { session, now, lifetimes, csrfToken: session.csrfToken }
}

/** How long before the idle expiry the warning shows: a minute, or a fifth of the idle timeout if that is shorter. */
export function warnSeconds(idleSeconds: number): number {
  return Math.max(1, Math.min(60, Math.floor(idleSeconds / 5)))
}

/** Whether the session's expiry is its absolute deadline, which no activity can move. */
export function endsAtDeadline(session: StoredSession, absoluteSeconds: number): boolean {
  return session.expiresAt >= session.createdAt + absoluteSeconds * 1000 - 1000
}

/**
 * The timeout warning (WCAG 2.2.1), hidden until public/session-timeout.js
 * shows it when the idle expiry is `data-warn-seconds` away. "Stay signed in"
 * posts to /session/extend; when the absolute deadline is what ends the
 * session, it offers to log in again instead. Out of band after an extension.
 */
export function SessionTimeout({ session, now, lifetimes, csrfToken, oob }: SessionTimeoutProps) {
  const left = secondsLeft(session, now)
  const final = endsAtDeadline(session, lifetimes.absoluteSeconds)
  return (
    <div
      id="session-timeout"
      class="session-timeout"
      role="alertdialog"
      aria-labelledby="session-timeout-title"
      aria-describedby="session-timeout-message"
      data-expires-in={String(left)}
      data-warn-seconds={String(warnSeconds(lifetimes.idleSeconds))}
      data-final={final ? 'true' : undefined}
      hidden
      {...(oob ? { 'hx-swap-oob': 'true' } : {})}
    >
      <h2 id="session-timeout-title">Are you still there?</h2>
      <p id="session-timeout-message">
        <span data-timeout-message>
          Your session ends in <span data-timeout-seconds>{left}</span> seconds.
        </span>
        {final ? ' It has reached its time limit and cannot be extended: log in again to keep going.' : null}
      </p>
      <div class="session-timeout-actions">
        {final ? null : (
          <form method="post" action="/session/extend" hx-post="/session/extend" hx-swap="none">
            <CsrfField token={csrfToken} />
            <button type="submit" data-timeout-stay>
              Stay signed in
            </button>
          </form>
        )}
        <a href="/login" data-timeout-login hidden={!final}>
          Log in again
        </a>
      </div>
    </div>
  )
}
