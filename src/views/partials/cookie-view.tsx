import { formatUtc } from './timestamp.tsx'

export type CookieViewProps = {
  name: string
  /** The cookie's value as this request sent it, or undefined when this response sets the first one. */
  value: string | undefined
  /** When the browser drops it (Max-Age from when the session was created). */
  expiresAt: number
}

/** "‹22 characters›": what a value part would show, without showing it. */
const masked = (part: string) => `‹${part.length} characters›`

/**
 * The session cookie as the browser holds it: its name and attributes, and the
 * value's shape with the value itself masked. Showing the token would hand
 * anyone looking over a shoulder (or at a screenshot) the session.
 */
export function CookieView({ name, value, expiresAt }: CookieViewProps) {
  const secure = name.startsWith('__Host-')
  const [token, signature] = value ? value.split('.') : []
  const attributes: [string, string][] = [
    ['Domain', 'none: sent back only to this host, never to subdomains'],
    ['Path', '/'],
    ['Expires', `${formatUtc(expiresAt)}, the session's absolute deadline`],
    ['HttpOnly', 'scripts on the page cannot read it, so an injected script cannot steal it'],
    ['SameSite', 'Lax: not sent with cross-site POSTs, a first line against CSRF'],
    [
      'Secure',
      secure
        ? 'sent over HTTPS only (and the __Host- prefix pins it to this host)'
        : 'off here (plain HTTP in development); on in production',
    ],
  ]
  return (
    <section id="cookie-view" class="card" aria-labelledby="cookie-view-heading">
      <h2 id="cookie-view-heading">Your cookie, as your browser holds it</h2>
      <p>
        <code class="cookie-line">
          {name}={token ? `${masked(token)}.${masked(signature ?? '')}` : '‹set by this page›'}
        </code>
      </p>
      <p class="hint">
        The value is a random token, a dot, and its HMAC signature; it is masked here because it is the session. A
        cookie whose signature does not match is turned away before Redis is asked.
      </p>
      <dl class="fields">
        {attributes.map(([attribute, meaning]) => (
          <>
            <dt>{attribute}</dt>
            <dd>{meaning}</dd>
          </>
        ))}
      </dl>
    </section>
  )
}
