import { CsrfField } from './csrf-field.tsx'

export type SiteNavProps = {
  /** null when the session cannot be read (some error pages): the nav then offers neither Log In nor Log Out. */
  loggedIn: boolean | null
  csrfToken: string | null
  /** The path of the page showing the nav, marked with aria-current. */
  current?: string
  /** Sent out of band in an htmx answer, replacing the nav in place. */
  oob?: boolean
}

/** The paths the nav links to; a page at one of them is marked as the current one. */
export const NAV_PATHS = [
  '/',
  '/how-it-works',
  '/account/sessions',
  '/account/password',
  '/account/security',
  '/account/activity',
  '/login',
  '/signup',
] as const

function NavLink({ href, current, children }: { href: string; current?: string; children: string }) {
  return (
    <a href={href} aria-current={href === current ? 'page' : undefined}>
      {children}
    </a>
  )
}

/**
 * The main navigation: the same markup in every page and in htmx answers that
 * find the login state changed, so a tab never offers Log Out to a visitor who
 * is no longer logged in.
 */
export function SiteNav({ loggedIn, csrfToken, current, oob }: SiteNavProps) {
  return (
    <nav
      id="site-nav"
      aria-label="Main"
      data-logged-in={loggedIn ? 'true' : undefined}
      {...(oob ? { 'hx-swap-oob': 'true' } : {})}
    >
      <NavLink href="/" current={current}>
        Home
      </NavLink>
      <NavLink href="/how-it-works" current={current}>
        How it works
      </NavLink>
      {loggedIn === null ? null : loggedIn ? (
        <>
          <NavLink href="/account/sessions" current={current}>
            Your sessions
          </NavLink>
          <NavLink href="/account/password" current={current}>
            Password
          </NavLink>
          <NavLink href="/account/security" current={current}>
            Security
          </NavLink>
          <NavLink href="/account/activity" current={current}>
            Activity
          </NavLink>
          <form method="post" action="/logout" class="nav-form">
            <CsrfField token={csrfToken} />
            <button type="submit" class="link-button" data-busy-label="Logging out…">
              Log Out
            </button>
          </form>
        </>
      ) : (
        <>
          <NavLink href="/login" current={current}>
            Log In
          </NavLink>
          <NavLink href="/signup" current={current}>
            Sign Up
          </NavLink>
        </>
      )}
    </nav>
  )
}

/** The nav path named by htmx's HX-Current-URL header, if the page is one the nav links to. */
export function navPathOf(currentUrl: string | undefined): string | undefined {
  if (!currentUrl) return undefined
  try {
    const { pathname } = new URL(currentUrl)
    return (NAV_PATHS as readonly string[]).includes(pathname) ? pathname : undefined
  } catch {
    return undefined
  }
}
