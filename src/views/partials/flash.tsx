/**
 * The one-time notice region; always present so screen readers hear what
 * appears in it. Out of band only its content is swapped: a live region
 * replaced by a new element is often not announced.
 */
export function Flash({ message, oob }: { message?: string; oob?: boolean }) {
  return (
    <div id="flash" class="flash" role="status" aria-live="polite" {...(oob ? { 'hx-swap-oob': 'innerHTML' } : {})}>
      {message ? <p>{message}</p> : null}
    </div>
  )
}
