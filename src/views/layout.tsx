import { raw } from 'hono/html'
import type { Child } from 'hono/jsx'
import { assetUrl } from '../assets.ts'
import { Flash } from './partials/flash.tsx'
import { SessionTimeout, type SessionTimeoutProps } from './partials/session-timeout.tsx'
import { SiteNav } from './partials/site-nav.tsx'

export type LayoutProps = {
  title: string
  /** null on pages that do not look at the session (errors): the nav then offers Home only. */
  loggedIn: boolean | null
  csrfToken: string | null
  flash?: string
  /** Where this page lives (e.g. "/account/sessions"): its nav link is marked aria-current="page". */
  path?: string
  /** For a signed-in user: the warning shown before the session times out. */
  timeout?: SessionTimeoutProps
  /** Static scripts this page needs beyond htmx and app.js (e.g. the passkey ceremonies). */
  scripts?: string[]
  children?: Child
}

/*
 * htmx is told not to inject its indicator <style> (the CSP allows no inline
 * style); busy buttons and regions are styled by our stylesheet instead.
 */
const HTMX_CONFIG = JSON.stringify({ includeIndicatorCSS: false })

/* An inline icon, so browsers do not ask for /favicon.ico on every page and log its 404. */
const ICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><path d="M11 6h2a2 2 0 0 1 2 2v2a2 2 0 0 1-2 2h-2" fill="none" stroke="#fff" stroke-width="1.5"/><rect x="2" y="4" width="9" height="11" rx="1" fill="#ffc107"/><rect x="2" y="1.5" width="9" height="3" rx="1.5" fill="#fff"/></svg>',
)}`

/* Without it browsers render in quirks mode: tables lose their line height, boxes their sizing. */
const DOCTYPE = raw('<!doctype html>')

/**
 * Every full page goes out through this layout: the doctype, a skip link to
 * the main content, the nav (see SiteNav), the notice region and the scripts
 * that give every form busy feedback (public/app.js).
 */
export function Layout({ title, loggedIn, csrfToken, flash, path, timeout, scripts = [], children }: LayoutProps) {
  return (
    <>
      {DOCTYPE}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="color-scheme" content="dark light" />
          <meta name="csrf-token" content={csrfToken ?? ''} />
          <meta name="htmx-config" content={HTMX_CONFIG} />
          <title>{`${title} · Taproom`}</title>
          <link rel="icon" href={ICON} />
          <link rel="stylesheet" href={assetUrl('styles.css')} />
          <script src={assetUrl('htmx.min.js')} defer></script>
          <script src={assetUrl('app.js')} defer></script>
          {loggedIn && timeout ? <script src={assetUrl('session-timeout.js')} defer></script> : null}
          {scripts.map((name) => (
            <script src={assetUrl(name)} defer></script>
          ))}
        </head>
        <body>
          <a class="skip-link" href="#main">
            Skip to main content
          </a>
          <div class="cover">
            <header class="masthead">
              <p class="brand">Taproom</p>
              <SiteNav loggedIn={loggedIn} csrfToken={csrfToken} current={path} />
            </header>
            <Flash message={flash} />
            <main id="main" tabindex={-1}>
              {children}
            </main>
            {loggedIn && timeout ? <SessionTimeout {...timeout} /> : null}
            <footer class="mastfoot">
              <p>Sessions in Redis, users in MySQL, served by Hono on Bun with htmx.</p>
            </footer>
          </div>
        </body>
      </html>
    </>
  )
}
