import { type ActiveSession, EXPIRED_NOTICE } from '../../session/request-session.ts'
import { SessionPanel } from './session-panel.tsx'
import { navPathOf, SiteNav } from './site-nav.tsx'

export type SessionEndedProps = { session: ActiveSession; now: number; currentUrl: string | undefined }

/**
 * The answer to an htmx request refused because its session had ended: the
 * notice (for the page's notice region), and the panel and the nav of the new
 * session out of band, so the tab stops offering what the ended session had.
 * The page's script tells "ended from another browser" from an expiry: it saw
 * the countdown still running.
 */
export function SessionEndedFragment({ session, now, currentUrl }: SessionEndedProps) {
  return (
    <>
      <p>{EXPIRED_NOTICE}</p>
      <SessionPanel session={session} now={now} csrfToken={session.csrfToken} oob />
      <SiteNav loggedIn={false} csrfToken={session.csrfToken} current={navPathOf(currentUrl)} oob />
    </>
  )
}
