import type { SessionCookie } from './cookie.ts'
import type { SessionData, SessionStore, StoredSession } from './store.ts'
import type { SessionCredentials, SessionTokens } from './token.ts'

export const EXPIRED_NOTICE = 'Your session expired — a new one started.'
export const LOGGED_OUT_NOTICE = 'Logged out.'

export type SessionUser = { id: string; email: string }

export type SessionContext = {
  store: SessionStore
  tokens: SessionTokens
  cookie: SessionCookie
  idleSeconds: number
  absoluteSeconds: number
  now: () => number
}

/** Everything a regenerated session starts with besides what it carries over. */
export type SessionStart = Partial<Pick<SessionData, 'userId' | 'email' | 'device' | 'ip' | 'flash' | 'provedAt'>>

/**
 * The session of one request. Nothing touches Redis until a handler asks, and
 * each question is one atomic round trip: load, peek, increment, regenerate,
 * destroy.
 */
export class RequestSession {
  readonly #ctx: SessionContext
  readonly #setCookie: (header: string) => void
  #credentials: SessionCredentials | null
  #loaded: StoredSession | null = null

  constructor(ctx: SessionContext, credentials: SessionCredentials | null, setCookie: (header: string) => void) {
    this.#ctx = ctx
    this.#credentials = credentials
    this.#setCookie = setCookie
  }

  /** The public ID named by the request's cookie (or of the session made during it). */
  get id(): string | null {
    return this.#credentials?.id ?? null
  }

  get csrfToken(): string | null {
    return this.#credentials ? this.#ctx.tokens.csrfTokenFor(this.#credentials.id) : null
  }

  verifyCsrf(candidate: string | undefined): boolean {
    return this.#credentials !== null && this.#ctx.tokens.verifyCsrfToken(this.#credentials.id, candidate)
  }

  /** The session, as activity: slides the idle expiry, takes the flash, starts a new session when none is live. */
  async load(): Promise<StoredSession> {
    this.#loaded ??= await this.#touchOrStart(undefined)
    return this.#loaded
  }

  /** Counts one more beer atomically and returns the session as it is now. */
  async increment(field: 'beers'): Promise<StoredSession> {
    this.#loaded = await this.#touchOrStart(field)
    return this.#loaded
  }

  /** Reads without extending or creating anything: looking is not activity. */
  async peek(): Promise<StoredSession | null> {
    if (this.#loaded) return this.#loaded
    if (!this.#credentials) return null
    const result = await this.#ctx.store.touch(this.#credentials.id, {
      now: this.#ctx.now(),
      extend: false,
      consumeFlash: false,
    })
    return result.status === 'ok' ? result.session : null
  }

  /**
   * Replaces the session with a new token and ID (on login, or on a password
   * change). The old session is read and deleted in one step, so the old token
   * is dead at once and nothing written to it is lost; its beer count moves over.
   * `evicted` lists the user's oldest sessions ended to stay within the cap.
   */
  async regenerate(start: SessionStart): Promise<StoredSession & { evicted: string[] }> {
    const { store } = this.#ctx
    const previousId = this.#credentials?.id
    const previous = previousId ? await store.take(previousId) : null
    if (previousId && previous?.userId && previous.userId !== start.userId) {
      await store.indexRemove(previous.userId, [previousId])
    }
    // Created before it is indexed: a listing prunes index entries whose
    // session does not exist, so an entry written first could be pruned by a
    // listing that ran in between, leaving a session "log out everywhere"
    // cannot find.
    const provedAt = start.userId ? this.#ctx.now() : undefined
    const session = await this.#start({ beers: previous?.beers ?? 0, provedAt, ...start })
    if (!start.userId) return { ...session, evicted: [] }
    const deadline = session.createdAt + this.#ctx.absoluteSeconds * 1000
    let evicted: string[]
    try {
      evicted = await store.indexAdd(start.userId, session.id, deadline, session.createdAt)
    } catch (error) {
      // A logged-in session missing from the index would escape "log out
      // everywhere": end it (its cookie too) rather than let it live.
      await store.delete([session.id]).catch(() => {})
      this.#credentials = null
      this.#loaded = null
      this.#setCookie(this.#ctx.cookie.clear())
      throw error
    }
    const ended = previousId && previous?.userId === start.userId ? [...evicted, previousId] : evicted
    if (ended.length > 0) await Promise.all([store.delete(ended), store.indexRemove(start.userId, ended)])
    return { ...session, evicted }
  }

  /** Ends the session on the server and removes the cookie; returns what it held. */
  async destroy(): Promise<SessionData | null> {
    const id = this.#credentials?.id
    const previous = id ? await this.#ctx.store.take(id) : null
    if (id && previous?.userId) await this.#ctx.store.indexRemove(previous.userId, [id])
    this.#credentials = null
    this.#loaded = null
    this.#setCookie(this.#ctx.cookie.clear())
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

  /** Records that the user just proved who they are (a re-authentication). */
  async markProof(): Promise<boolean> {
    if (!this.#credentials) return false
    const provedAt = this.#ctx.now()
    const marked = await this.#ctx.store.update(this.#credentials.id, { provedAt })
    if (marked && this.#loaded) this.#loaded = { ...this.#loaded, provedAt }
    return marked
  }

  /** Leaves a one-time message for the next page this session shows. */
  async flash(message: string): Promise<void> {
    if (this.#credentials) await this.#ctx.store.update(this.#credentials.id, { flash: message })
  }

  async #touchOrStart(increment: 'beers' | undefined): Promise<StoredSession> {
    if (this.#credentials) {
      const result = await this.#ctx.store.touch(this.#credentials.id, {
        now: this.#ctx.now(),
        extend: true,
        consumeFlash: true,
        increment,
      })
      if (result.status === 'ok') return result.session
      return this.#start({ beers: increment ? 1 : 0 }, EXPIRED_NOTICE)
    }
    return this.#start({ beers: increment ? 1 : 0 })
  }

  async #start(
    data: Omit<SessionStart, 'flash'> & { beers: number; flash?: string },
    notice?: string,
  ): Promise<StoredSession> {
    const now = this.#ctx.now()
    const credentials = this.#ctx.tokens.create()
    const ttlMs = Math.min(this.#ctx.idleSeconds, this.#ctx.absoluteSeconds) * 1000
    const record: SessionData = { createdAt: now, lastSeenAt: now, ...data }
    await this.#ctx.store.create(credentials.id, record, ttlMs)
    this.#credentials = credentials
    this.#setCookie(this.#ctx.cookie.set(credentials.cookieValue))
    this.#loaded = { ...record, flash: notice ?? data.flash, id: credentials.id, expiresAt: now + ttlMs }
    return this.#loaded
  }
}
