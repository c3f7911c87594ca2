import { ServiceUnavailableError } from '../unavailable.ts'
import type { SessionCookie } from './cookie.ts'
import type {
  EndedSessions,
  Lifetimes,
  NewSessionData,
  SessionData,
  SessionRef,
  SessionStore,
  SignInMethod,
  StoredSession,
} from './store.ts'
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
  /** How long a visitor's new session lives until the browser shows it keeps cookies by sending it back. */
  firstVisitMs: number
}

/** Whether this request's client may start one more session now (see NewVisitorLimit). */
export type AdmitNewVisitor = () => boolean

/** A live session with the CSRF token that forms on its pages carry. */
export type ActiveSession = StoredSession & { csrfToken: string }

/** When a proof of identity began (on the store's clock); see RequestSession.startProof. */
export type ProofStart = { readonly at: number }

/** What a sign-in records besides the user. */
export type SignInDetails = {
  method: SignInMethod
  device?: string
  ip?: string
  flash?: string
  /** Taken before the password was read: the sign-in is refused if the user's sessions were ended since. */
  proof?: ProofStart
  /** A credential change: end every other session of the user, and any sign-in still in flight. */
  endOthers?: boolean
  /**
   * Keeps this proof time (0: none) instead of now: the sign-in proved only
   * part of what the user's sign-in takes (a password change, with the
   * authenticator app on, proves the password, not the second factor).
   */
  keepProofAt?: number
}

/** A new signed-in session and the IDs of the user's sessions its sign-in ended. */
export type SignedInSession = ActiveSession & { ended: string[] }

/**
 * A state-changing request refused because the session its CSRF token came
 * from has ended (expired, or ended from another browser): nothing was
 * applied. `session` is the new one started for the answer (its cookie is
 * set), so the page can catch up and send the request again.
 */
export class SessionEndedError extends Error {
  override name = 'SessionEndedError'
  readonly session: ActiveSession

  constructor(session: ActiveSession) {
    super('The session this request came from has ended.')
    this.session = session
  }
}

/**
 * A state-changing request carrying the cookie of a session that a new one
 * replaced moments ago (a sign-in or re-authentication, in another tab or
 * just before): nothing was applied and no session was started, so the
 * browser keeps the new session's cookie; its page takes the new token and
 * sends the request again (see public/app.js).
 */
export class SessionReplacedError extends Error {
  override name = 'SessionReplacedError'

  constructor() {
    super('The session this request came from was replaced by a newer one.')
  }
}

/** What a request's first lookup found of the session its cookie names. */
type Found = 'live' | 'gone' | 'replaced'

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
  #unstoredNotice: string | null = null
  // Set when the request's CSRF token passed: a token is only as good as the
  // session it came from, which the request's first lookup must find live.
  #mustBeLive = false

  readonly #admitNewVisitor: AdmitNewVisitor

  constructor(
    parts: SessionParts,
    credentials: SessionCredentials | null,
    setCookie: (header: string) => void,
    admitNewVisitor: AdmitNewVisitor = () => true,
  ) {
    this.#parts = parts
    this.#credentials = credentials
    this.#setCookie = setCookie
    this.#admitNewVisitor = admitNewVisitor
  }

  /** The public ID named by the request's cookie (or of the session made during it). */
  get id(): string | null {
    return this.#credentials?.id ?? null
  }

  /** The CSRF token of the session named by the cookie, before any lookup; null without one. */
  get csrfToken(): string | null {
    return this.#credentials ? this.#parts.tokens.csrfTokenFor(this.#credentials.id) : null
  }

  /**
   * Whether `candidate` is the CSRF token of the session the cookie names. The
   * token is an HMAC of the session's ID, so it outlives the session: once it
   * passes, the request's first lookup that finds the session gone refuses
   * the request (SessionEndedError) instead of starting a new session for it.
   */
  verifyCsrf(candidate: string | undefined): boolean {
    this.#mustBeLive = this.#credentials !== null && this.#parts.tokens.verifyCsrfToken(this.#credentials.id, candidate)
    return this.#mustBeLive
  }

  /**
   * Whether `candidate` is the CSRF token of the ID this signed-in session had
   * before its last re-authentication gave it a new one (see reauthenticated):
   * a form drawn before then, in another tab, still posts. One read of the
   * session, made only for a token verifyCsrf refused.
   */
  async verifyRenewedCsrf(candidate: string | undefined): Promise<boolean> {
    const credentials = this.#credentials
    if (!credentials?.userId || candidate === undefined) return false
    const from = (await this.#parts.store.read(this.#ref(credentials))).session?.renewedFrom
    this.#mustBeLive = from !== undefined && this.#parts.tokens.verifyCsrfToken(from, candidate)
    return this.#mustBeLive
  }

  /**
   * For a route that does work before it first looks at its session (a login
   * checks the password first): confirms now that the session this request's
   * CSRF token came from is live (see verifyCsrf). Free once confirmed.
   */
  async confirmLive(): Promise<void> {
    if (this.#mustBeLive) await this.peek()
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
    const { session } = await this.#read(credentials)
    return session && { ...session, csrfToken: this.#parts.tokens.csrfTokenFor(credentials.id) }
  }

  /**
   * Marks the moment a proof of identity begins, on the store's clock: call it
   * before reading the password hash, and pass it to signIn, so that a login
   * whose password changed while it was being checked cannot finish.
   */
  async startProof(): Promise<ProofStart> {
    // A request that must first find its session live (see verifyCsrf) takes
    // the time from that read: one round trip, not two.
    if (this.#mustBeLive && this.#credentials) return { at: (await this.#read(this.#credentials)).now }
    return { at: await this.#parts.store.time() }
  }

  /**
   * Signs `user` in with a new session (new token and ID) recording how and
   * when they proved who they are. The old session is read and deleted in one
   * step, so its token is dead at once and nothing written to it is lost; its
   * beer count moves over. The new session is created and indexed under its
   * user in one step. `ended` lists the user's sessions this ended: the oldest
   * beyond the cap, or with `endOthers` every other one. Null when the user's
   * sessions were ended after `proof` began (the browser then has no session).
   */
  signIn(user: SessionUser, details: SignInDetails & { proof: ProofStart }): Promise<SignedInSession | null>
  signIn(user: SessionUser, details: SignInDetails & { proof?: undefined }): Promise<SignedInSession>
  signIn(user: SessionUser, details: SignInDetails): Promise<SignedInSession | null>
  async signIn(user: SessionUser, details: SignInDetails): Promise<SignedInSession | null> {
    const { store, tokens, lifetimes, cookie } = this.#parts
    const previous = await this.#take({ replacing: true })
    const credentials = tokens.create(user.id)
    const ttlMs = Math.min(lifetimes.idleMs, lifetimes.absoluteMs)
    const data: NewSessionData = {
      beers: previous?.beers ?? 0,
      userId: user.id,
      email: user.email,
      device: details.device,
      ip: details.ip,
      flash: details.flash,
      method: details.method,
    }
    let result: Awaited<ReturnType<SessionStore['signIn']>>
    try {
      result = await store.signIn({ id: credentials.id, userId: user.id }, data, {
        ttlMs,
        provedSince: details.proof?.at,
        endOthers: details.endOthers ?? false,
        keepProofAt: details.keepProofAt,
      })
    } catch (error) {
      // The old session is gone already; the cookie naming it goes too.
      this.#forget()
      throw error
    }
    if (result === 'stale') {
      this.#forget()
      return null
    }
    this.#credentials = credentials
    this.#setCookie(cookie.set(credentials.cookieValue))
    this.#loaded = {
      ...data,
      createdAt: result.createdAt,
      lastSeenAt: result.createdAt,
      provedAt: result.provedAt,
      id: credentials.id,
      expiresAt: result.createdAt + ttlMs,
      csrfToken: tokens.csrfTokenFor(credentials.id),
    }
    return { ...this.#loaded, ended: result.ended }
  }

  /**
   * A right password for an account with a second factor: replaces the session
   * (new token and ID, the old one ended as at sign-in) with one that holds
   * only the pending user, the deadline for the second step, and when the
   * password proof began (so signIn can refuse it if the user's sessions are
   * ended meanwhile), and the page to go on to afterwards (`next`, already a
   * safe path). It is signed in to nothing and in no user's index; signIn
   * replaces it again once the second step succeeds.
   */
  async beginPending(
    userId: string,
    until: number,
    { proof, next, flash }: { proof?: ProofStart; next?: string; flash?: string } = {},
  ): Promise<ActiveSession> {
    const previous = await this.#take({ replacing: true })
    return this.#start({
      beers: previous?.beers ?? 0,
      pendingUserId: userId,
      pendingUntil: until,
      pendingNext: next,
      provedAt: proof?.at,
      flash,
    })
  }

  /**
   * Records that the signed-in user proved who they are just now
   * (re-authentication) and, as a sign-in does, gives the session a new token
   * and ID, the old token dead at once: the proof must not be left to a token
   * that may have leaked before it. Everything else the session holds stays,
   * its absolute deadline too. False when the session is gone.
   */
  async reauthenticated(): Promise<boolean> {
    const old = this.#credentials
    if (!old?.userId) return false
    const { store, tokens, cookie } = this.#parts
    const credentials = tokens.create(old.userId)
    const renewed = await store.renew({ id: old.id, userId: old.userId }, credentials.id)
    await this.#confirm(renewed ? 'live' : 'gone')
    this.#loaded = null
    if (!renewed) return false
    this.#credentials = credentials
    this.#setCookie(cookie.set(credentials.cookieValue))
    return true
  }

  /**
   * Ends every other session of the signed-in `userId` and every sign-in still
   * in flight ("log out everywhere else"): the step that comes first in a
   * credential change. Null, ending nothing, when this session has itself
   * ended meanwhile (a reset elsewhere, say): then it cannot log the owner's
   * new sessions out. `at` is when it ran, to pass to signIn as the proof.
   */
  async endOthers(userId: string): Promise<EndedSessions | null> {
    if (!this.#credentials) return null
    return this.#parts.store.endAll(userId, { id: this.#credentials.id, keep: true })
  }

  /** Ends every session of `userId`, this one included (the account is going); null, ending nothing, when this one has ended already. */
  async endEverySession(userId: string): Promise<EndedSessions | null> {
    if (!this.#credentials) return null
    return this.#parts.store.endAll(userId, { id: this.#credentials.id, keep: false })
  }

  /** Whether this request's session still exists, read afresh (nothing is extended). */
  async stillLive(): Promise<boolean> {
    if (!this.#credentials) return false
    return (await this.#parts.store.read(this.#ref(this.#credentials))).session !== null
  }

  /**
   * Refuses the request as one whose session has ended (see SessionEndedError),
   * after a step found it gone; or, when a newer session replaced it meanwhile
   * (the same form sent twice, a confirmation in another tab), as one from a
   * replaced session (SessionReplacedError), so the browser keeps that newer
   * session's cookie. One read, on this path only.
   */
  async refuseEnded(): Promise<never> {
    if (this.#credentials && (await this.#parts.store.read(this.#ref(this.#credentials))).replaced) {
      throw new SessionReplacedError()
    }
    throw new SessionEndedError(await this.#startVisitor({ beers: 0 }))
  }

  /** Ends the session on the server and removes the cookie; returns what it held. */
  async destroy(): Promise<SessionData | null> {
    const previous = await this.#take({ replacing: false })
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
    try {
      await this.#start({ beers: 0, flash: notice })
    } catch (error) {
      // The session has ended already: that no new one could carry the
      // notice (Redis full, or gone since) must not make the answer a failure.
      if (!(error instanceof ServiceUnavailableError)) throw error
      this.#unstoredNotice = notice
    }
    return ended
  }

  /** The notice restartWithNotice could not store: the page answering this request must show it itself. */
  get unstoredNotice(): string | null {
    return this.#unstoredNotice
  }

  /** The signed-in user's address changed: this session shows the new one. False when the session is gone. */
  async updateEmail(email: string): Promise<boolean> {
    if (!this.#credentials) return false
    const updated = await this.#parts.store.update(this.#ref(this.#credentials), { email })
    await this.#confirm(updated ? 'live' : 'gone')
    if (updated && this.#loaded) this.#loaded = { ...this.#loaded, email }
    return updated
  }

  /** Leaves a one-time message for the next page this session shows. */
  async flash(message: string): Promise<void> {
    if (!this.#credentials) return
    const updated = await this.#parts.store.update(this.#ref(this.#credentials), { flash: message })
    await this.#confirm(updated ? 'live' : 'gone')
  }

  /** A plain read of the cookie's session, confirming it live when the request needs that (see #confirm). */
  async #read(credentials: SessionCredentials) {
    const read = await this.#parts.store.read(this.#ref(credentials))
    await this.#confirm(read.session ? 'live' : read.replaced ? 'replaced' : 'gone')
    return read
  }

  /** Reads and deletes the cookie's session (see SessionStore.take), confirming it live when the request needs that. */
  async #take(options: { replacing: boolean }): Promise<SessionData | null> {
    if (!this.#credentials) return null
    const taken = await this.#parts.store.take(this.#ref(this.#credentials), options)
    await this.#confirm(taken === 'replaced' ? 'replaced' : taken ? 'live' : 'gone')
    return taken === 'replaced' ? null : taken
  }

  #ref(credentials: SessionCredentials): SessionRef {
    return { id: credentials.id, userId: credentials.userId }
  }

  /**
   * After the first lookup of the cookie's session: if the request's CSRF
   * token came from it (see verifyCsrf) and it is gone, the request is refused
   * before anything is applied, with a new session for the answer to carry;
   * if a newer session replaced it, with none (SessionReplacedError).
   */
  async #confirm(found: Found): Promise<void> {
    if (!this.#mustBeLive) return
    this.#mustBeLive = false
    if (found === 'replaced') throw new SessionReplacedError()
    if (found === 'gone') throw new SessionEndedError(await this.#startVisitor({ beers: 0 }))
  }

  #forget(): void {
    this.#credentials = null
    this.#loaded = null
    this.#setCookie(this.#parts.cookie.clear())
  }

  async #touchOrStart(increment: 'beers' | undefined): Promise<ActiveSession> {
    const credentials = this.#credentials
    if (credentials) {
      const result = await this.#parts.store.touch(this.#ref(credentials), { consumeFlash: true, increment })
      const { status } = result
      await this.#confirm(status === 'ok' ? 'live' : status === 'replaced' ? 'replaced' : 'gone')
      if (status === 'ok') return { ...result.session, csrfToken: this.#parts.tokens.csrfTokenFor(credentials.id) }
      // The browser holds the newer session's cookie, or soon will: this
      // answer must not replace it with a visitor's.
      if (status === 'replaced') {
        this.#credentials = null
        return this.#unstored({ beers: increment ? 1 : 0 })
      }
      return this.#startVisitor({ beers: increment ? 1 : 0 }, EXPIRED_NOTICE)
    }
    return this.#startVisitor({ beers: increment ? 1 : 0 })
  }

  /**
   * A session for a visitor without one. Past its network's limit of new
   * sessions the page is still served, from a session that is stored nowhere
   * and sets no cookie: a client that drops cookies (a script) costs Redis
   * nothing more, and a browser gets a stored session on a later request.
   */
  async #startVisitor(data: NewSessionData, notice?: string): Promise<ActiveSession> {
    if (this.#admitNewVisitor()) return this.#start(data, notice)
    return this.#unstored(data, notice)
  }

  /** A visitor's session for this answer only: stored nowhere, no cookie set. */
  #unstored(data: NewSessionData, notice?: string): ActiveSession {
    const { tokens, store, lifetimes, firstVisitMs } = this.#parts
    const credentials = tokens.create()
    const now = store.now()
    return {
      ...data,
      createdAt: now,
      lastSeenAt: now,
      flash: notice,
      id: credentials.id,
      expiresAt: now + Math.min(lifetimes.idleMs, lifetimes.absoluteMs, firstVisitMs),
      csrfToken: tokens.csrfTokenFor(credentials.id),
    }
  }

  /** A visitor's new session: short-lived until the browser sends its cookie back (any later request slides it). */
  async #start(data: NewSessionData, notice?: string): Promise<ActiveSession> {
    const { tokens, lifetimes, store, cookie, firstVisitMs } = this.#parts
    const credentials = tokens.create()
    const ttlMs = Math.min(lifetimes.idleMs, lifetimes.absoluteMs, firstVisitMs)
    const createdAt = await store.create(credentials.id, data, ttlMs)
    this.#credentials = credentials
    this.#setCookie(cookie.set(credentials.cookieValue))
    this.#loaded = {
      ...data,
      createdAt,
      lastSeenAt: createdAt,
      flash: notice ?? data.flash,
      id: credentials.id,
      expiresAt: createdAt + ttlMs,
      csrfToken: tokens.csrfTokenFor(credentials.id),
    }
    return this.#loaded
  }
}
