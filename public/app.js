// Same-origin script (the CSP allows no inline script): sends the CSRF token
// with every htmx request and runs the session countdown without polling,
// since a poll would itself keep the session alive.
;(() => {
  function csrfToken() {
    var panel = document.getElementById('session-panel')
    if (panel?.dataset.csrfToken) return panel.dataset.csrfToken
    var meta = document.querySelector('meta[name="csrf-token"]')
    return meta ? meta.getAttribute('content') : ''
  }

  document.addEventListener('htmx:config:request', (event) => {
    var request = event.detail?.ctx?.request
    if (request?.headers) request.headers['X-CSRF-Token'] = csrfToken()
  })

  // The deadline on this device's clock, from the seconds left that the server
  // wrote into the panel (data-expires-in) when it arrived: comparing the
  // server's data-expires-at with Date.now() would be off by any clock skew.
  var deadlines = new WeakMap()
  function deadlineOf(panel) {
    var known = deadlines.get(panel)
    if (!known || known.expiresAt !== panel.dataset.expiresAt) {
      known = { expiresAt: panel.dataset.expiresAt, local: Date.now() + Number(panel.dataset.expiresIn) * 1000 }
      deadlines.set(panel, known)
    }
    return known.local
  }

  function tick() {
    var panel = document.getElementById('session-panel')
    if (!panel?.dataset.expiresAt) return
    var left = Math.max(0, Math.ceil((deadlineOf(panel) - Date.now()) / 1000))
    var counter = panel.querySelector('[data-countdown]')
    if (counter && counter.textContent !== String(left)) counter.textContent = String(left)
    panel.dataset.expiresIn = String(left)
    var line = panel.querySelector('.countdown')
    if (left === 0 && !panel.dataset.expired) {
      panel.dataset.expired = 'true'
      if (line) line.textContent = 'Session expired. Your next action starts a new one.'
    }
  }

  setInterval(tick, 1000)
  document.addEventListener('htmx:after:swap', tick)
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', tick)
  else tick()
})()
