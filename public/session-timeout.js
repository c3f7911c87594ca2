// The timeout warning (WCAG 2.2.1): when the idle expiry is data-warn-seconds
// away, #session-timeout appears and takes focus, so a screen reader announces
// it once (role alertdialog); the seconds then count down silently. "Stay
// signed in" posts to /session/extend, whose answer replaces this element out
// of band with the new expiry, which hides it again. The seconds left come
// from the session panel when the page has one (a pour slides the expiry),
// else from this element's own data-expires-in, counted on this device's clock.
// Before warning it asks GET /session (a read: it extends nothing), through
// public/app.js (which also redraws the panel and nav), whether another tab's
// activity moved the expiry. The warning is for a signed-in
// session only: once the panel shows a visitor's (logged out in another tab),
// it stays away; and a tab that said "ended" at zero takes it back when the
// server shows the session was kept alive elsewhere.
;(() => {
  const deadlines = new WeakMap()
  // What each element was last checked against the server for: a deadline and a moment ("warn" or "end").
  const checked = new WeakMap()
  let checking = false
  let returnFocus = null
  // The element shown, if any: after "Stay signed in" it is replaced by a hidden one.
  let shown = null

  /** Local time at which this element's session expires. */
  function deadlineOf(dialog) {
    let deadline = deadlines.get(dialog)
    if (deadline === undefined) {
      deadline = Date.now() + Number(dialog.dataset.expiresIn) * 1000
      deadlines.set(dialog, deadline)
    }
    return deadline
  }

  function hasPanel() {
    const panel = document.getElementById('session-panel')
    return Boolean(panel?.dataset.expiresIn && panel.dataset.expiresAt)
  }

  /** A live visitor's session in the panel: nobody is signed in here to warn (app.js marks an ended one data-expired). */
  function visitorPanel() {
    const panel = document.getElementById('session-panel')
    return Boolean(panel?.dataset.sessionId && !panel.dataset.userEmail && !panel.dataset.expired)
  }

  /** Asks app.js to look at the session: resolves with what it saw ({ secondsLeft, signedIn }), or null. */
  function lookAtSession() {
    return new Promise((resolve) => {
      document.dispatchEvent(new CustomEvent('taproom:refresh-session', { detail: { done: resolve } }))
    })
  }

  function secondsLeft(dialog) {
    if (hasPanel()) return Number(document.getElementById('session-panel').dataset.expiresIn)
    return Math.max(0, Math.ceil((deadlineOf(dialog) - Date.now()) / 1000))
  }

  /** Re-reads the expiry from the server once per deadline and moment; resolves whether it moved past the warning. */
  async function expiryMoved(dialog, moment) {
    const shownPanel = hasPanel() ? document.getElementById('session-panel') : null
    const key = `${shownPanel ? shownPanel.dataset.expiresAt : deadlineOf(dialog)}:${moment}`
    // At zero, app.js looks again itself (see sessionEnded there).
    if ((shownPanel && moment === 'end') || checked.get(dialog) === key) return false
    checked.set(dialog, key)
    checking = true
    try {
      const seen = await lookAtSession()
      const warnSeconds = Number(dialog.dataset.warnSeconds)
      // A panel, redrawn from what was seen (or by a newer answer meanwhile), is the truth.
      if (shownPanel) return secondsLeft(dialog) > warnSeconds
      if (!seen?.signedIn || !(seen.secondsLeft > warnSeconds)) return false
      deadlines.set(dialog, Date.now() + seen.secondsLeft * 1000)
      return true
    } finally {
      checking = false
    }
  }

  function show(dialog) {
    dialog.hidden = false
    shown = dialog
    if (document.activeElement && document.activeElement !== document.body) returnFocus = document.activeElement
    const target = dialog.querySelector('[data-timeout-stay]') ?? dialog.querySelector('[data-timeout-login]')
    target?.focus()
  }

  function hide(dialog) {
    const hadFocus = dialog.contains(document.activeElement)
    dialog.hidden = true
    shown = null
    if (hadFocus || document.activeElement === document.body) {
      if (returnFocus?.isConnected) returnFocus.focus()
      else focusMain()
    }
    returnFocus = null
  }

  function focusMain() {
    const main = document.getElementById('main')
    if (!main) return
    if (!main.hasAttribute('tabindex')) main.setAttribute('tabindex', '-1')
    main.focus()
  }

  // What ended() replaced, to put back if the session turns out to be alive.
  const beforeEnded = new WeakMap()

  function ended(dialog) {
    dialog.dataset.ended = 'true'
    const message = dialog.querySelector('[data-timeout-message]')
    if (message) {
      beforeEnded.set(dialog, message.cloneNode(true))
      message.textContent = 'Your session has ended.'
    }
    const stay = dialog.querySelector('[data-timeout-stay]')
    if (stay) stay.closest('form').hidden = true
    const login = dialog.querySelector('[data-timeout-login]')
    if (login) {
      login.hidden = false
      if (dialog.contains(document.activeElement) || document.activeElement === document.body) login.focus()
    }
  }

  /** The server showed the session alive after all (another tab kept it so): the "ended" state goes. */
  function revive(dialog) {
    delete dialog.dataset.ended
    const message = dialog.querySelector('[data-timeout-message]')
    const before = beforeEnded.get(dialog)
    if (message && before) message.replaceWith(before)
    const stay = dialog.querySelector('[data-timeout-stay]')
    if (stay) stay.closest('form').hidden = false
    const login = dialog.querySelector('[data-timeout-login]')
    if (login && stay) login.hidden = true
    if (shown === dialog) hide(dialog)
  }

  async function tick() {
    const dialog = document.getElementById('session-timeout')
    if (!dialog || dialog.dataset.ended || checking) return
    if (shown && shown !== dialog) hide(shown)
    if (visitorPanel()) {
      if (shown === dialog) hide(dialog)
      return
    }
    let left = secondsLeft(dialog)
    const warn = () => left <= Number(dialog.dataset.warnSeconds)
    if (warn() && shown !== dialog && (await expiryMoved(dialog, 'warn'))) left = secondsLeft(dialog)
    if (left <= 0 && (await expiryMoved(dialog, 'end'))) left = secondsLeft(dialog)
    if (left <= 0) {
      if (shown !== dialog) show(dialog)
      ended(dialog)
      return
    }
    const seconds = dialog.querySelector('[data-timeout-seconds]')
    if (seconds && seconds.textContent !== String(left)) seconds.textContent = String(left)
    if (warn() && shown !== dialog && !dialog.dataset.dismissed) show(dialog)
    else if (!warn() && shown === dialog) hide(dialog)
  }

  document.addEventListener('keydown', (event) => {
    const dialog = document.getElementById('session-timeout')
    if (event.key !== 'Escape' || !dialog || shown !== dialog || dialog.dataset.ended) return
    dialog.dataset.dismissed = 'true'
    hide(dialog)
  })

  document.addEventListener('taproom:session-refresh', () => {
    const dialog = document.getElementById('session-timeout')
    const panel = document.getElementById('session-panel')
    if (dialog?.dataset.ended && panel?.dataset.userEmail && Number(panel.dataset.expiresIn) > 0) revive(dialog)
  })

  setInterval(tick, 1000)
  // After "Stay signed in" (its swap is out of band only) and after any swap that may bring a new panel.
  document.addEventListener('htmx:finally:request', tick)
  document.addEventListener('htmx:after:swap', tick)
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', tick)
  else tick()
})()
