// Passkey ceremonies (same-origin script; the CSP allows no inline script).
// The server sends the options and checks the answer; @simplewebauthn/browser
// (webauthn.min.js) talks to the authenticator. The answer goes back in a
// plain form post, so the server replies with an ordinary page or redirect.
;(() => {
  var webauthn = window.SimpleWebAuthnBrowser

  function csrfToken(form) {
    var field = form.querySelector('input[name="_csrf"]')
    return field ? field.value : ''
  }

  function showError(form, message) {
    var slot = form.querySelector('[data-passkey-error]')
    if (!slot) return
    slot.textContent = message
    slot.hidden = false
  }

  async function fetchOptions(form) {
    var response = await fetch(form.dataset.options, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrfToken(form) },
      body: new URLSearchParams({ _csrf: csrfToken(form) }),
      credentials: 'same-origin',
    })
    var body = await response.json().catch(() => null)
    if (response.ok && body?.options) return body.options
    var error = new Error(body?.error || 'The server could not start the passkey request. Reload and try again.')
    error.redirect = body?.redirect
    throw error
  }

  function submitWith(form, credential) {
    form.querySelector('input[name="response"]').value = JSON.stringify(credential)
    HTMLFormElement.prototype.submit.call(form)
  }

  async function run(form, useBrowserAutofill) {
    var options = await fetchOptions(form)
    var credential =
      form.dataset.passkey === 'register'
        ? await webauthn.startRegistration({ optionsJSON: options })
        : await webauthn.startAuthentication({ optionsJSON: options, useBrowserAutofill: useBrowserAutofill })
    submitWith(form, credential)
  }

  function explain(form, error) {
    if (error.redirect) return window.location.assign(error.redirect)
    if (error.name === 'NotAllowedError' || error.name === 'AbortError') {
      return showError(form, 'The passkey request was cancelled or timed out. Try again when you are ready.')
    }
    if (error.name === 'InvalidStateError')
      return showError(form, 'This device already holds a passkey for your account.')
    showError(form, error.message || 'Something went wrong with the passkey. Try again.')
  }

  var supported = Boolean(webauthn?.browserSupportsWebAuthn())
  document.querySelectorAll('[data-passkey-fallback]').forEach((note) => {
    if (supported) note.hidden = true
    else note.textContent = 'This browser cannot use passkeys. Everything else here works without them.'
  })

  document.querySelectorAll('form[data-passkey]').forEach((form) => {
    if (!supported) return
    form.hidden = false
    // The form was hidden while the page loaded, so the browser could not focus its error then.
    var error = form.querySelector('[data-passkey-error][autofocus]:not([hidden])')
    if (error) error.focus()
    form.addEventListener('submit', (event) => {
      event.preventDefault()
      if (form.reportValidity && !form.reportValidity()) return
      run(form, false).catch((error) => explain(form, error))
    })
  })

  // Conditional mediation: passkeys offered in the email field's autofill on /login.
  var autofillForm = document.querySelector('form[data-passkey-autofill]')
  if (supported && autofillForm && document.querySelector('input[autocomplete~="webauthn"]')) {
    webauthn.browserSupportsWebAuthnAutofill().then((available) => {
      if (available) run(autofillForm, true).catch(() => {})
    })
  }

  document.querySelectorAll('button[data-copy]').forEach((button) => {
    if (!navigator.clipboard) return
    button.hidden = false
    button.addEventListener('click', () => {
      var status = button.parentElement.querySelector('[data-copy-status]')
      navigator.clipboard.writeText(button.dataset.copy).then(
        () => {
          if (status) status.textContent = 'Copied.'
        },
        () => {
          if (status) status.textContent = 'Copying failed: select the codes and copy them yourself.'
        },
      )
    })
  })
})()
