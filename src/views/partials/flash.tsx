/** The one-time notice region; always present so screen readers hear what appears in it. */
export function Flash({ message, oob }: { message?: string; oob?: boolean }) {
  return (
    <div id="flash" class="flash" role="status" aria-live="polite" {...(oob ? { 'hx-swap-oob': 'true' } : {})}>
      {message ? <p>{message}</p> : null}
    </div>
  )
}
