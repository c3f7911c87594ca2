import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../app-env.ts'
import type { FactorSummary } from '../db/second-factors.ts'
import { isHtmx } from '../http/htmx.ts'
import { safeNextPath } from '../http/next-path.ts'
import { requireUser, type SignedIn } from '../http/require-user.ts'
import type { StoredSession } from '../session/store.ts'
import { ReauthForm, ReauthPage, ReauthSection } from '../views/pages/reauth.tsx'
import { type SessionLifetimes, timeoutFor } from '../views/partials/session-timeout.tsx'

export type FreshProofOptions = {
  /** How long a proof (a sign-in, the password, a passkey) lets sensitive actions through (REAUTH_SECONDS). */
  maxAgeSeconds: number
  lifetimes: SessionLifetimes
  now: () => number
  /**
   * Which factors the user has: with the authenticator app on, confirming
   * takes a code too; with a passkey, the passkey may confirm instead.
   */
  factors: (userId: string) => Promise<FactorSummary>
}

/**
 * Middleware for one sensitive route: `returnTo` is where the user comes back
 * to after confirming (by default the page the request came from).
 */
export type RequireFreshProof = (returnTo?: string) => MiddlewareHandler<AppEnv>

/** Whether the session's last proof that it is the user is recent enough for a sensitive action. */
export function isFresh(session: Pick<StoredSession, 'provedAt'>, maxAgeSeconds: number, now: number): boolean {
  return session.provedAt !== undefined && now - session.provedAt < maxAgeSeconds * 1000
}

/** `candidate` as a path on this site to return to (see safeNextPath), or "/" for anything else. */
export function safeNext(candidate: unknown): string {
  return safeNextPath(candidate) ?? '/'
}

/** The same-origin page a request was sent from: htmx says so in HX-Current-URL, forms in Referer. */
export function pageOf(c: Context<AppEnv>): string {
  const source = c.req.header('hx-current-url') ?? c.req.header('referer')
  if (!source) return '/'
  try {
    const url = new URL(source)
    if (url.host !== c.req.header('host')) return '/'
    return safeNext(url.pathname + url.search + url.hash)
  } catch {
    return '/'
  }
}

export type ReauthProps = {
  next: string
  error?: string
  /** Why a passkey did not confirm: shown by the passkey's form. */
  passkeyError?: string
  /** What an htmx answer replaces: the page's main content (the guard), or the form itself (a wrong password). */
  replacing: 'main' | 'form'
  /**
   * Whether the authenticator app is on, when the caller knows already: an
   * htmx form swapped back in place then needs no lookup (it offers no passkey).
   */
  askCode?: boolean
}

const NO_FACTORS: FactorSummary = { totp: false, passkeys: 0 }

/**
 * Answers with the "Confirm it's you" form. For htmx the section replaces the
 * page's main content, whatever the request targeted (HX-Retarget); after a
 * wrong password the form alone is swapped back in place of itself. A user
 * with a passkey may confirm with it instead: on a full page its form, in a
 * fragment a link to that page (the fragment's page has no passkey script).
 */
export async function renderReauth(
  c: Context<AppEnv>,
  { state, user }: SignedIn,
  status: 200 | 401 | 403 | 422 | 429 | 503,
  { next, error, passkeyError, replacing, askCode }: ReauthProps,
  { maxAgeSeconds, lifetimes, now, factors }: FreshProofOptions,
) {
  const csrfToken = c.get('session').csrfToken!
  const minutes = Math.max(1, Math.round(maxAgeSeconds / 60))
  const htmx = isHtmx(c)
  // Without MySQL the form goes without the code field; the confirmation itself still asks for it.
  const lookUp = () => factors(user.id).catch(() => NO_FACTORS)
  if (htmx && replacing === 'form') {
    const code = askCode ?? (await lookUp()).totp
    return c.html(
      <ReauthForm csrfToken={csrfToken} email={user.email} next={next} error={error} askCode={code} />,
      status,
    )
  }
  const has = await lookUp()
  const props = { csrfToken, email: user.email, next, error, minutes, askCode: askCode ?? has.totp }
  if (!htmx) {
    const passkey = has.passkeys > 0 ? 'form' : undefined
    return c.html(
      <ReauthPage
        {...props}
        passkey={passkey}
        passkeyError={passkeyError}
        session={state}
        timeout={timeoutFor(state, now(), lifetimes)}
      />,
      status,
    )
  }
  c.header('HX-Retarget', '#main')
  c.header('HX-Reswap', 'innerHTML')
  return c.html(<ReauthSection {...props} passkey={has.passkeys > 0 ? 'link' : undefined} />, status)
}

/**
 * The guard for sensitive actions ("sudo mode"): lets the request through when
 * the user proved it is them (a sign-in, the password, a passkey) within
 * `maxAgeSeconds`, otherwise answers 403 with the "Confirm it's you" form.
 * Nothing is kept to replay: after confirming, the user repeats the action.
 */
export function freshProofGuard(options: FreshProofOptions): RequireFreshProof {
  const { maxAgeSeconds, now } = options
  return (returnTo) =>
    async function requireFreshProof(c, next) {
      const signedIn = await requireUser(c)
      if (isFresh(signedIn.state, maxAgeSeconds, now())) return next()
      return renderReauth(c, signedIn, 403, { next: returnTo ?? pageOf(c), replacing: 'main' }, options)
    }
}
