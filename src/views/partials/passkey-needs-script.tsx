/**
 * Passkeys are made and used by the browser's WebAuthn API, which only a script
 * can call: without JavaScript this says so; public/passkeys.js replaces it
 * with the passkey form, or with a note when the browser has no WebAuthn.
 */
export function PasskeyNeedsScript({ action }: { action: string }) {
  return (
    <p class="hint" data-passkey-fallback>
      {action} needs JavaScript, which is off in this browser. Everything else here works without it.
    </p>
  )
}
