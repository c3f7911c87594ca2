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
  const parts = value ? value.split('.') : []
  const token = parts[0]
  const signature = parts.at(-1)
  const userId = parts.length === 3 ? parts[1] : undefined
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
          {name}=
          {token
            ? [masked(token), userId === undefined ? undefined : `‹user id›`, masked(signature ?? '')]
                .filter(Boolean)
                .join('.')
            : '‹set by this page›'}
        </code>
      </p>
      <p class="hint">
        The value is a random token and its HMAC signature (once you are signed in, your user id sits between them,
        under the same signature, so Redis can keep your sessions together); it is masked here because it is the
        session. A cookie whose signature does not match is turned away before Redis is asked.
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
