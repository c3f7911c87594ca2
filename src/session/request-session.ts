import type { SessionCookie } from './cookie.ts'
import type { Lifetimes, SessionData, SessionRef, SessionStore, SignInMethod, StoredSession } from './store.ts'
import type { SessionCredentials, SessionTokens } from './token.ts'

export const EXPIRED_NOTICE = 'Your session expired — a new one started.'
export const LOGGED_OUT_NOTICE = 'Logged out.'

export type SessionUser = { id: string; email: string }

/** The pieces every request's session is built from, shared by all requests. */
export type SessionParts = {
  store: SessionStore
  tokens: SessionTokens
  cookie: SessionCookie
  lifetimes: Lifetimes
  now: () => number
}

/** A live session with the CSRF token that forms on its pages carry. */
export type ActiveSession = StoredSession & { csrfToken: string }

/** What a sign-in records besides the user. */
export type SignInDetails = { method: SignInMethod; device?: string; ip?: string; flash?: string }

type Fresh = Omit<SessionData, 'createdAt' | 'lastSeenAt'>

/**
 * The session of one request. Nothing touches Redis until a handler asks, and
 * each question is one atomic round trip: load, peek, increment, sign in,
 * end.
 */
export class RequestSession {
  readonly #parts: SessionParts
  readonly #setCookie: (header: string) => void
  #credentials: SessionCredentials | null
  #loaded: ActiveSession | null = null

  constructor(parts: SessionParts, credentials: SessionCredentials | null, setCookie: (header: string) => void) {
    this.#parts = parts
    this.#credentials = credentials
    this.#setCookie = setCookie
  }

  /** The public ID named by the request's cookie (or of the session made during it). */
  get id(): string | null {
    return this.#credentials?.id ?? null
  }

  /** The CSRF token of the session named by the cookie, before any lookup; null without one. */
  get csrfToken(): string | null {
    return this.#credentials ? this.#parts.tokens.csrfTokenFor(this.#credentials.id) : null
  }

  verifyCsrf(candidate: string | undefined): boolean {
    return this.#credentials !== null && this.#parts.tokens.verifyCsrfToken(this.#credentials.id, candidate)
  }

  /** The session, as activity: slides the idle expiry, takes the flash, starts a new session when none is live. */
  async load(): Promise<ActiveSession> {
    this.#loaded ??= await this.#touchOrStart(undefined)
    return this.#loaded
  }

  /** Counts one more beer atomically and returns the session as it is now. */
  async increment(field: 'beers'): Promise<ActiveSession> {
    this.#loaded = await this.#touchOrStart(field)
    return this.#loaded
  }

  /** Reads without extending or creating anything: looking is not activity. */
  async peek(): Promise<ActiveSession | null> {
    if (this.#loaded) return this.#loaded
    const credentials = this.#credentials
    if (!credentials) return null
    const session = await this.#parts.store.read(this.#ref(), this.#parts.now())
    return session && { ...session, csrfToken: this.#parts.tokens.csrfTokenFor(credentials.id) }
  }

  /**
   * Signs `user` in with a new session (new token and ID) recording how and
   * when they proved who they are. The old session is read and deleted in one
   * step, so its token is dead at once and nothing written to it is lost; its
   * beer count moves over. `evicted` lists the user's oldest sessions ended to
   * stay within the cap.
   */
  async signIn(user: SessionUser, details: SignInDetails): Promise<ActiveSession & { evicted: string[] }> {
    const { store } = this.#parts
    const previousRef = this.#credentials ? this.#ref() : null
    const previous = previousRef ? await store.take(previousRef) : null
    if (previousRef && previous?.userId) await store.end(previous.userId, [previousRef.id])
    // Created before it is indexed: a listing prunes index entries whose
    // session does not exist, so an entry written first could be pruned by a
    // listing that ran in between, leaving a session "log out everywhere"
    // cannot find.
    const session = await this.#start({
      beers: previous?.beers ?? 0,
      userId: user.id,
      email: user.email,
      device: details.device,
      ip: details.ip,
      flash: details.flash,
      provedAt: this.#parts.now(),
      method: details.method,
    })
    try {
      const evicted = await store.index(user.id, session.id, session.createdAt, session.createdAt)
      return { ...session, evicted }
    } catch (error) {
      // A signed-in session missing from the index would escape "log out
      // everywhere": end it (its cookie too) rather than let it live.
      await store.discard({ id: session.id, userId: user.id }).catch(() => {})
      this.#forget()
      throw error
    }
  }

  /**
   * A right password for an account with a second factor: replaces the session
   * (new token and ID, the old one ended as at sign-in) with one that holds
   * only the pending user and the deadline for the second step. It is signed
   * in to nothing and in no user's index; signIn replaces it again once the
   * second step succeeds.
   */
  async beginPending(userId: string, until: number): Promise<ActiveSession> {
    const { store } = this.#parts
    const previousRef = this.#credentials ? this.#ref() : null
    const previous = previousRef ? await store.take(previousRef) : null
    if (previousRef && previous?.userId) await store.end(previous.userId, [previousRef.id])
    return this.#start({ beers: previous?.beers ?? 0, pendingUserId: userId, pendingUntil: until })
  }

  /** Records that the user proved who they are just now (re-authentication); false when the session is gone. */
  async markProof(): Promise<boolean> {
    if (!this.#credentials) return false
    const provedAt = this.#parts.now()
    const marked = await this.#parts.store.update(this.#ref(), { provedAt })
    if (marked && this.#loaded) this.#loaded = { ...this.#loaded, provedAt }
    return marked
  }

  /** Ends the session on the server and removes the cookie; returns what it held. */
  async destroy(): Promise<SessionData | null> {
    const ref = this.#credentials ? this.#ref() : null
    const previous = ref ? await this.#parts.store.take(ref) : null
    if (ref && previous?.userId) await this.#parts.store.end(previous.userId, [ref.id])
    this.#forget()
    return previous
  }

  /**
   * Ends the session (as destroy) and starts a fresh anonymous one holding
   * `notice` for the next page: the ended session cannot carry it. One create,
   * the notice written with it.
   */
  async restartWithNotice(notice: string): Promise<SessionData | null> {
    const ended = await this.destroy()
    await this.#start({ beers: 0, flash: notice })
    return ended
  }

  /** Leaves a one-time message for the next page this session shows. */
  async flash(message: string): Promise<void> {
    if (this.#credentials) await this.#parts.store.update(this.#ref(), { flash: message })
  }

  #ref(): SessionRef {
    return { id: this.#credentials!.id, userId: this.#loaded?.userId }
  }

  #forget(): void {
    this.#credentials = null
    this.#loaded = null
    this.#setCookie(this.#parts.cookie.clear())
  }

  async #touchOrStart(increment: 'beers' | undefined): Promise<ActiveSession> {
    const credentials = this.#credentials
    if (credentials) {
      const result = await this.#parts.store.touch(this.#ref(), {
        now: this.#parts.now(),
        consumeFlash: true,
        increment,
      })
      if (result.status === 'ok') {
        return { ...result.session, csrfToken: this.#parts.tokens.csrfTokenFor(credentials.id) }
      }
      return this.#start({ beers: increment ? 1 : 0 }, EXPIRED_NOTICE)
    }
    return this.#start({ beers: increment ? 1 : 0 })
  }

  async #start(data: Fresh, notice?: string): Promise<ActiveSession> {
    const { tokens, lifetimes, store, cookie } = this.#parts
    const now = this.#parts.now()
    const credentials = tokens.create()
    const ttlMs = Math.min(lifetimes.idleMs, lifetimes.absoluteMs)
    const record: SessionData = { createdAt: now, lastSeenAt: now, ...data }
    await store.create({ id: credentials.id, userId: data.userId }, record, ttlMs)
    this.#credentials = credentials
    this.#setCookie(cookie.set(credentials.cookieValue))
    this.#loaded = {
      ...record,
      flash: notice ?? data.flash,
      id: credentials.id,
      expiresAt: now + ttlMs,
      csrfToken: tokens.csrfTokenFor(credentials.id),
    }
    return this.#loaded
  }
}
