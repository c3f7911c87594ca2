// Same-origin script (the CSP allows no inline script). Everything works
// without it; with it, every page gets, for free:
// - the CSRF token on every htmx request, refreshed when the tab comes back
//   (another tab may have logged in or out, which changes the token);
// - busy feedback on every form: buttons disabled with an in-progress label,
//   aria-busy on the region that will change, one request per double click;
// - the session countdown (mm:ss), without polling, since a poll would itself
//   keep the session alive; at zero the panel and the nav stop showing the user;
// - times in the reader's own time zone, focus moved where the action left it;
// - a notice, in place of a swap, when the server cannot be reached or a
//   proxy's error page answers for it.
//
// Hooks for other scripts, dispatched on document:
//   taproom:tick            detail { secondsLeft } every second while a panel counts down
//   taproom:session-ended   the countdown reached zero
//   taproom:session-refresh the panel and nav were refreshed from GET /session
// and listens for
//   taproom:refresh-session  re-read the session now; calls detail.done(seen) when that is over:
//                            seen is { secondsLeft, signedIn }, or null when it did not work
;(() => {
  const BUSY_LABEL = 'Working…'
  const STALE_FORM =
    'This page was out of date (you may have logged in or out in another tab). It is up to date now: please try again.'

  // --- CSRF token -----------------------------------------------------------

  function csrfToken() {
    const panel = document.getElementById('session-panel')
    if (panel?.dataset.csrfToken) return panel.dataset.csrfToken
    const meta = document.querySelector('meta[name="csrf-token"]')
    return meta ? meta.getAttribute('content') : ''
  }

  /** Makes every form on the page carry this token: plain forms post their _csrf field. */
  function adoptToken(token) {
    if (!token) return
    const meta = document.querySelector('meta[name="csrf-token"]')
    if (meta) meta.setAttribute('content', token)
    for (const field of document.querySelectorAll('input[name="_csrf"]')) field.value = token
  }

  document.addEventListener('htmx:config:request', (event) => {
    const request = event.detail?.ctx?.request
    if (request?.headers) request.headers['X-CSRF-Token'] = csrfToken()
  })

  // --- Busy feedback --------------------------------------------------------

  function submitButtons(form) {
    return form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"]')
  }

  /** Marks a form as working; false if it already is (a second click sends nothing). */
  function markBusy(form, region) {
    if (form.dataset.busy) return false
    form.dataset.busy = 'true'
    for (const button of submitButtons(form)) {
      button.style.minWidth = `${button.offsetWidth}px`
      button.dataset.idleLabel = button.textContent
      button.dataset.hadFocus = document.activeElement === button ? 'true' : ''
      button.textContent = button.dataset.busyLabel || BUSY_LABEL
      button.disabled = true
    }
    if (region) {
      region.setAttribute('aria-busy', 'true')
      busyRegions.set(form, region)
    }
    return true
  }

  const busyRegions = new WeakMap()

  function clearBusy(form) {
    if (!form.dataset.busy) return
    delete form.dataset.busy
    for (const button of submitButtons(form)) {
      if (button.dataset.idleLabel !== undefined) button.textContent = button.dataset.idleLabel
      button.disabled = false
      button.style.minWidth = ''
      if (button.dataset.hadFocus && form.isConnected) button.focus()
      delete button.dataset.idleLabel
      delete button.dataset.hadFocus
    }
    const region = busyRegions.get(form)
    if (region) region.removeAttribute('aria-busy')
    busyRegions.delete(form)
  }

  function formOf(ctx) {
    const source = ctx?.sourceElement
    if (!source) return null
    return source.matches('form') ? source : source.closest('form')
  }

  document.addEventListener('htmx:config:request', (event) => {
    const ctx = event.detail?.ctx
    const form = formOf(ctx)
    if (form) {
      if (!markBusy(form, ctx.target)) event.preventDefault()
    } else if (ctx?.target) {
      ctx.target.setAttribute('aria-busy', 'true')
      ctx.busyTarget = ctx.target
    }
  })

  document.addEventListener('htmx:finally:request', (event) => {
    const ctx = event.detail?.ctx
    if (ctx?.busyTarget) ctx.busyTarget.removeAttribute('aria-busy')
    const form = formOf(ctx)
    // A redirect is about to load the next page: the button stays busy until it does.
    if (form && !ctx.hx?.redirect) clearBusy(form)
  })

  // Plain forms (no htmx) load a new page: busy until it arrives.
  document.addEventListener('submit', (event) => {
    const form = event.target
    if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return
    if (!markBusy(form, document.getElementById('main'))) event.preventDefault()
  })

  // Back to a page kept in the back/forward cache: nothing is in flight any more.
  window.addEventListener('pageshow', (event) => {
    if (!event.persisted) return
    for (const form of document.querySelectorAll('form[data-busy]')) clearBusy(form)
    refreshSession()
  })

  // --- A refused CSRF token: refresh, then retry (pours) or say so ----------

  const TRY_AGAIN = 'Nothing was changed: please try again.'

  document.addEventListener('htmx:after:request', (event) => {
    const ctx = event.detail?.ctx
    const refused = ctx?.response?.status === 403 ? ctx.response.headers.get('X-CSRF-Refused') : null
    if (!refused) {
      const done = formOf(ctx)
      if (done) delete done.dataset.retried
      return
    }
    // A stale token ('token') has nothing to show. A session that had ended
    // ('session-ended') is answered with the notice, the new session's panel
    // and the nav out of band, which htmx swaps in.
    if (refused !== 'session-ended') event.preventDefault()
    ctx.csrfRefused = { sessionEnded: refused === 'session-ended', refreshed: refreshSession() }
  })

  // Once the answer is in and the form no longer busy: retry a pour once, or say what to do.
  document.addEventListener('htmx:finally:request', (event) => {
    const ctx = event.detail?.ctx
    const refusal = ctx?.csrfRefused
    if (!refusal) return
    const form = formOf(ctx)
    refusal.refreshed.then(() => {
      if (form?.isConnected && form.hasAttribute('data-retry-on-csrf') && !form.dataset.retried) {
        form.dataset.retried = 'true'
        form.requestSubmit()
      } else if (refusal.sessionEnded) {
        addToNotice(TRY_AGAIN)
      } else {
        showNotice(STALE_FORM)
      }
    })
  })

  // --- Answers that are not the app's, and no answer at all -----------------

  // htmx 4 swaps every answer but 204 and 304, errors included. Every answer
  // of the app carries X-Request-Id (its errors also HX-Retarget #flash), and
  // its own 4xx and 5xx forms must swap in; an error without it is a proxy's page,
  // which must not replace the form or become the tab's title. Assumes the
  // proxy passes the app's X-Request-Id on and adds none to its own pages
  // (nginx: no `add_header X-Request-Id … always`).
  document.addEventListener('htmx:after:request', (event) => {
    const response = event.detail?.ctx?.response
    if (!response) return
    if (response.headers.has('X-Request-Id')) {
      // The server answers again: a notice that it did not is out of date.
      for (const line of document.querySelectorAll('#flash p[data-unreachable]')) line.remove()
      return
    }
    if (response.status < 400 || response.headers.has('HX-Retarget')) return
    event.preventDefault()
    showUnreachable(
      response.status >= 500
        ? `The server is not answering right now (error ${response.status}). Please try again in a moment.`
        : `The request was refused before it reached the app (error ${response.status}). Please try again in a moment.`,
    )
  })

  // Fired with no complete answer (connection lost, timed out) as well as for
  // a failed swap; only the first is the network's doing.
  document.addEventListener('htmx:error', (event) => {
    const ctx = event.detail?.ctx
    if (ctx && ctx.text === undefined)
      showUnreachable('Could not reach the server. Check your connection, then try again.')
  })

  // The app's own refusals put in the flash region (a 503 with HX-Retarget
  // #flash) are brought into view too: on a phone the form may be far below.
  document.addEventListener('htmx:after:swap', (event) => {
    const ctx = event.detail?.ctx
    const intoFlash = ctx?.target?.id === 'flash' || ctx?.response?.headers.get('HX-Retarget') === '#flash'
    if (!intoFlash || !(ctx.response?.status >= 400)) return
    bringIntoView(document.getElementById('flash'))
  })

  /** A notice that the request got no answer from the app, brought into view: on a phone the form may be far below it. */
  function showUnreachable(message) {
    showNotice(message)
    const line = document.querySelector('#flash p')
    if (!line) return
    line.dataset.unreachable = ''
    bringIntoView(line)
  }

  /** Scrolls `element` into view after the request's own ending, which gives the focus back to its button. */
  function bringIntoView(element) {
    setTimeout(() => element?.scrollIntoView({ block: 'nearest' }))
  }

  function showNotice(message) {
    const flash = document.getElementById('flash')
    if (!flash) return
    const line = document.createElement('p')
    line.textContent = message
    flash.replaceChildren(line)
  }

  /** One more sentence for the notice shown: the region holds one paragraph. */
  function addToNotice(message) {
    const line = document.querySelector('#flash p')
    if (line) line.textContent = `${line.textContent} ${message}`
    else showNotice(message)
  }

  // --- Why a session ended ------------------------------------------------------

  // The server sees only that the session is gone. The page knows more: a
  // logged-in session that vanished while its countdown still ran was ended
  // from elsewhere (revoked, or every session ended), not by expiry.
  const ENDED_ELSEWHERE = 'You were logged out: this session was ended from another browser.'

  document.addEventListener('htmx:config:request', (event) => {
    const ctx = event.detail?.ctx
    const panel = document.getElementById('session-panel')
    if (!ctx || !panel) return
    ctx.panelBefore = {
      id: panel.dataset.sessionId,
      user: panel.dataset.userEmail,
      left: Number(panel.dataset.expiresIn),
      nav: document.getElementById('site-nav'),
    }
  })

  document.addEventListener('htmx:finally:request', (event) => {
    const before = event.detail?.ctx?.panelBefore
    const panel = document.getElementById('session-panel')
    if (!before || !panel) return
    const restarted = panel.dataset.sessionId !== before.id && !panel.dataset.userEmail
    const navReplaced = document.getElementById('site-nav') !== before.nav
    if (restarted && navReplaced && before.user && before.left > 2) showNotice(ENDED_ELSEWHERE)
    // A login state changed with no notice to carry it (a logout in another tab): the nav catches up.
    const nav = document.getElementById('site-nav')
    if (nav && Boolean(nav.dataset.loggedIn) !== Boolean(panel.dataset.userEmail)) refreshSession()
  })

  // --- Keeping the panel, the nav and the token true -------------------------

  let refreshing = null
  // The timeout warning asks before it warns (public/session-timeout.js).
  document.addEventListener('taproom:refresh-session', (event) => {
    void refreshSession().then((seen) => event.detail?.done?.(seen ?? null))
  })

  /**
   * Re-reads the session (GET /session only peeks: looking is not activity)
   * and updates panel, nav and token; resolves with what it saw
   * ({ secondsLeft, signedIn }), or undefined when the look failed.
   */
  function refreshSession() {
    if (refreshing) return refreshing
    // What the page showed when the look began: an htmx answer that swaps in
    // a newer panel or nav meanwhile (a pour's) must not be rolled back by it.
    const startedWith = { panel: document.getElementById('session-panel'), nav: document.getElementById('site-nav') }
    refreshing = fetch('/session', {
      headers: { 'HX-Request': 'true', 'HX-Current-URL': location.href },
      cache: 'no-store',
      credentials: 'same-origin',
      // A look that hangs must not hold up what waits on it (the timeout warning).
      signal: AbortSignal.timeout(5000),
    })
      .then((response) => (response.ok ? response.text() : Promise.reject(new Error(String(response.status)))))
      .then((html) => {
        const fresh = new DOMParser().parseFromString(html, 'text/html')
        const panel = fresh.getElementById('session-panel')
        const shown = document.getElementById('session-panel')
        if (shown !== startedWith.panel) {
          if (shown?.dataset.csrfToken) adoptToken(shown.dataset.csrfToken)
        } else if (panel) {
          adoptToken(panel.dataset.csrfToken)
          shown?.replaceWith(document.importNode(panel, true))
        }
        const nav = fresh.getElementById('site-nav')
        const shownNav = document.getElementById('site-nav')
        if (nav && shownNav && shownNav === startedWith.nav) {
          nav.removeAttribute('hx-swap-oob')
          // An unchanged nav is left alone, so keyboard focus inside it is kept.
          if (nav.outerHTML !== shownNav.outerHTML) shownNav.replaceWith(document.importNode(nav, true))
        }
        tick()
        document.dispatchEvent(new CustomEvent('taproom:session-refresh'))
        return { secondsLeft: Number(panel?.dataset.expiresIn ?? 0), signedIn: Boolean(panel?.dataset.userEmail) }
      })
      .catch(() => {})
      .finally(() => {
        refreshing = null
      })
    return refreshing
  }

  let lastRefresh = 0
  function refreshWhenBack() {
    if (document.visibilityState !== 'visible' || Date.now() - lastRefresh < 1000) return
    lastRefresh = Date.now()
    refreshSession()
  }
  window.addEventListener('focus', refreshWhenBack)
  document.addEventListener('visibilitychange', refreshWhenBack)

  // --- The countdown ----------------------------------------------------------

  function two(n) {
    return String(n).padStart(2, '0')
  }

  /** "29:41", or "2:05:09" from an hour up, as the server renders it. */
  function formatClock(seconds) {
    const hours = Math.floor(seconds / 3600)
    const minutes = Math.floor((seconds % 3600) / 60)
    return hours > 0 ? `${hours}:${two(minutes)}:${two(seconds % 60)}` : `${minutes}:${two(seconds % 60)}`
  }

  // The deadline on this device's clock, from the seconds left that the server
  // wrote into the page when it arrived: comparing the server's time with
  // Date.now() would be off by any clock skew.
  const deadlines = new WeakMap()
  function deadlineOf(element, seconds, key) {
    let known = deadlines.get(element)
    if (!known || known.key !== key) {
      known = { key: key, local: Date.now() + Number(seconds) * 1000 }
      deadlines.set(element, known)
    }
    return known.local
  }

  function secondsUntil(deadline) {
    return Math.max(0, Math.ceil((deadline - Date.now()) / 1000))
  }

  function tick() {
    // Other countdowns (How it works shows the record's TTL) tick in step.
    for (const counter of document.querySelectorAll('[data-count-from]')) {
      const text = String(secondsUntil(deadlineOf(counter, counter.dataset.countFrom, counter.dataset.countFrom)))
      if (counter.textContent !== text) counter.textContent = text
    }

    const panel = document.getElementById('session-panel')
    if (!panel?.dataset.expiresAt) return
    const left = secondsUntil(deadlineOf(panel, panel.dataset.expiresIn, panel.dataset.expiresAt))
    const clock = panel.querySelector('[data-countdown]')
    if (clock && clock.textContent !== formatClock(left)) clock.textContent = formatClock(left)
    panel.dataset.expiresIn = String(left)
    document.dispatchEvent(new CustomEvent('taproom:tick', { detail: { secondsLeft: left } }))
    if (left === 0 && !panel.dataset.expired) {
      panel.dataset.expired = 'true'
      sessionEnded(panel)
    }
  }

  /** The session is gone: say so at once, then let the server confirm (another tab may have kept it alive). */
  function sessionEnded(panel) {
    const line = panel.querySelector('.countdown')
    if (line) line.textContent = 'Your session has ended. Your next action starts a new one.'
    const state = panel.querySelector('[data-login-state]')
    if (state) state.textContent = 'Not logged in'
    panel.removeAttribute('data-user-email')
    showLoggedOutNav()
    document.dispatchEvent(new CustomEvent('taproom:session-ended'))
    setTimeout(refreshSession, 1000)
  }

  function showLoggedOutNav() {
    const nav = document.getElementById('site-nav')
    if (!nav?.dataset.loggedIn) return
    for (const item of nav.querySelectorAll('a[href^="/account/"], .nav-form')) item.remove()
    for (const [href, label] of [
      ['/login', 'Log In'],
      ['/signup', 'Sign Up'],
    ]) {
      const link = document.createElement('a')
      link.href = href
      link.textContent = label
      nav.append(link)
    }
    delete nav.dataset.loggedIn
  }

  // --- Times in the reader's time zone ---------------------------------------

  const LOCAL = { dateStyle: 'medium', timeStyle: 'medium' }
  function localizeTimes(root) {
    for (const time of root.querySelectorAll('time[data-local]')) {
      const date = new Date(time.getAttribute('datetime'))
      if (!Number.isNaN(date.getTime())) time.textContent = date.toLocaleString(undefined, LOCAL)
      time.removeAttribute('data-local')
    }
  }

  // --- Focus after a revoke ---------------------------------------------------

  // The row a revoke started from: afterwards focus goes to the row now in its
  // place, or the list's heading when it was the last.
  let revokedRow = null
  document.addEventListener('htmx:config:request', (event) => {
    const row = formOf(event.detail?.ctx)?.closest('#sessions-list tbody tr')
    const form = formOf(event.detail?.ctx)
    if (row) revokedRow = [...row.parentElement.children].indexOf(row)
    else if (form?.id === 'revoke-others-form') revokedRow = -1
  })
  document.addEventListener('htmx:finally:request', () => {
    if (revokedRow === null) return
    const index = revokedRow
    revokedRow = null
    const rows = document.querySelectorAll('#sessions-list tbody tr')
    const next = index >= 0 ? rows[index] : null
    const control = next?.querySelector('button, a')
    const heading = document.getElementById('sessions-heading')
    if (control) control.focus()
    else if (heading) heading.focus()
  })

  // --- How it works: what a pour changed in the record ------------------------

  let before = null
  document.addEventListener('htmx:before:swap', (event) => {
    const ctx = event.detail?.ctx
    if (ctx?.target?.id !== 'session-inspector') return
    const fields = new Map()
    for (const row of document.querySelectorAll('#session-inspector tr[data-field]')) {
      fields.set(row.dataset.field, {
        value: row.querySelector('td:nth-child(2)')?.textContent,
        mark: row.dataset.changed,
      })
    }
    before = {
      id: document.getElementById('session-inspector')?.dataset.sessionId,
      // Coming back to the window only looks again; a pour, even a failed one, is a new step.
      lookedOnly: ctx.sourceEvent?.type === 'focus',
      fields,
    }
  })

  function mark(row, label) {
    // A row that was not redrawn keeps the badge it has.
    if (row.dataset.changed) return
    row.dataset.changed = label
    const badge = document.createElement('span')
    badge.className = 'changed-badge'
    badge.textContent = label
    row.querySelector('td:first-child')?.append(' ', badge)
  }

  function markChangedFields() {
    const inspector = document.getElementById('session-inspector')
    if (!before || !inspector) return
    const { id, lookedOnly, fields } = before
    before = null
    // A different session (after a login or logout) is a new record, not a change.
    if (id !== inspector.dataset.sessionId) return
    const rows = [...inspector.querySelectorAll('tr[data-field]')]
    const changed = rows.filter(
      (row) => fields.get(row.dataset.field)?.value !== row.querySelector('td:nth-child(2)')?.textContent,
    )
    // A look that finds nothing new keeps what the last step marked.
    if (lookedOnly && changed.length === 0 && rows.length === fields.size) {
      for (const row of rows) {
        const label = fields.get(row.dataset.field)?.mark
        if (label) mark(row, label)
      }
      return
    }
    for (const row of changed) mark(row, fields.has(row.dataset.field) ? 'changed' : 'new')
  }

  // --- Wiring -----------------------------------------------------------------

  document.addEventListener('htmx:after:swap', (event) => {
    if (event.detail?.ctx?.target?.id === 'session-inspector') markChangedFields()
    localizeTimes(document)
    tick()
  })

  setInterval(tick, 1000)
  function start() {
    localizeTimes(document)
    tick()
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start)
  else start()
})()
