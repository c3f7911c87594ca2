import { encodeFields, FIELDS, type SessionData } from '../../session/fields.ts'
import type { StoredSession } from '../../session/store.ts'
import { secondsLeft } from './session-panel.tsx'
import { formatUtc, relativeTime, Timestamp } from './timestamp.tsx'

export type Inspection = {
  session: StoredSession | null
  sessionKey: string | null
  /** The user's index key and this session's score in it (its creation time), when logged in. */
  index: { key: string; score: number | null } | null
  idleSeconds: number
  absoluteSeconds: number
  now: number
}

const MEANINGS: Record<keyof SessionData, (value: string, now: number) => string> = {
  createdAt: (value, now) => `created ${formatUtc(Number(value))} (${relativeTime(Number(value), now)})`,
  lastSeenAt: (value, now) => `last activity that slid the expiry, ${relativeTime(Number(value), now)}`,
  beers: () => 'beers poured in this session',
  userId: () => 'user ID (logged in)',
  email: () => 'email of the logged-in user',
  device: () => 'device, from the User-Agent at login',
  ip: () => 'client IP at login',
  flash: () => 'one-time message, shown and removed by the next page view',
  provedAt: (value, now) => `when the user last proved who they are, ${relativeTime(Number(value), now)}`,
  method: (value) => `how they signed in (${value})`,
  retainedAt: (value, now) =>
    `kept when every other session of this user was ended, ${relativeTime(Number(value), now)}`,
  renewedFrom: () => 'the session ID before the last re-authentication gave it a new one (its forms still post)',
  pendingUserId: () => 'user whose password was right, waiting for the second step (not logged in)',
  pendingUntil: (value, now) => `deadline for the second step, ${relativeTime(Number(value), now)}`,
  pendingNext: () => 'the page to go on to after the second step',
}

const MEANING: Record<string, (value: string, now: number) => string> = Object.fromEntries(
  Object.entries(MEANINGS).map(([key, meaning]) => [FIELDS[key as keyof SessionData], meaning]),
)

/*
 * Refreshes itself after any request started in the actions bar, and when the
 * window regains focus (after logging in or out in another tab). It reads with
 * a peek, so refreshing is not activity and never extends the session. It is
 * not a live region: a pour announces one status line, and public/app.js marks
 * the fields that changed.
 */
const REFRESH = {
  'hx-get': '/how-it-works',
  'hx-trigger': 'htmx:after:request from:#how-actions, focus from:window',
  'hx-swap': 'outerHTML',
}

/** What Redis holds for the visitor's own session, read without extending it. */
export function SessionInspector({ session, sessionKey, index, idleSeconds, absoluteSeconds, now }: Inspection) {
  if (!session || !sessionKey) {
    return (
      <section id="session-inspector" class="card inspector" data-session-id="" {...REFRESH}>
        <h2>Your session in Redis</h2>
        <p>
          Your browser has no live session right now: its key has expired or was deleted. Your next page view (or a
          pour) starts a new one.
        </p>
      </section>
    )
  }
  const fields = encodeFields(session)
  const pairs: [string, string][] = []
  for (let i = 0; i + 1 < fields.length; i += 2) pairs.push([fields[i]!, fields[i + 1]!])
  const ttlSeconds = secondsLeft(session, now)
  const absoluteDeadline = session.createdAt + absoluteSeconds * 1000
  return (
    <section
      id="session-inspector"
      class="card inspector"
      data-session-id={session.id}
      data-session-key={sessionKey}
      data-ttl={String(ttlSeconds)}
      data-idle-deadline={String(session.expiresAt)}
      data-absolute-deadline={String(absoluteDeadline)}
      data-index-key={index?.key}
      data-index-score={index?.score === null || index === null ? undefined : String(index.score)}
      {...REFRESH}
    >
      <h2>Your session in Redis</h2>
      <p>
        Key <code class="redis-key">{sessionKey}</code>, a hash. The last part is the public session ID: a SHA-256 of
        the token in your cookie. The token itself is stored nowhere on the server, so this ID cannot be used to take
        over the session.
      </p>
      <table class="inspector-fields">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Value</th>
            <th scope="col">Meaning</th>
          </tr>
        </thead>
        <tbody>
          {pairs.map(([field, value]) => (
            <tr data-field={field}>
              <td>
                <code>{field}</code>
              </td>
              <td>
                <code>{value}</code>
              </td>
              <td>{MEANING[field]?.(value, now) ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <dl class="fields">
        <dt>TTL</dt>
        <dd>
          <span data-count-from={String(ttlSeconds)}>{ttlSeconds}</span> seconds left (Redis <code>PTTL</code>),
          counting down live
        </dd>
        <dt>Idle deadline</dt>
        <dd>
          <Timestamp ms={session.expiresAt} now={now} /> — moves to {idleSeconds} seconds after each page view that uses
          the session (at most once a minute, to save writes)
        </dd>
        <dt>Absolute deadline</dt>
        <dd>
          <Timestamp ms={absoluteDeadline} now={now} /> — {absoluteSeconds} seconds after the session was created;
          activity never moves it
        </dd>
      </dl>
      {index ? (
        <div class="index-entry">
          <h3>Your entry in the per-user index</h3>
          <p>
            Key <code class="redis-key">{index.key}</code>, a sorted set with one member per session of this user,
            scored by its creation time. Entries older than the absolute timeout are dropped whenever the set is read or
            added to, and it holds a bounded number of sessions, so no cleanup job is needed. It shares a hash tag with
            your session and your "sessions valid since" time, so one script reads all three.
          </p>
          {index.score === null ? (
            <p>This session has no entry in the index.</p>
          ) : (
            <p>
              Member <code>{session.id}</code> · score <code>{String(index.score)}</code> ({formatUtc(index.score)})
            </p>
          )}
        </div>
      ) : (
        <p class="index-entry">
          Not logged in, so this session is in no per-user index. Log in and it is replaced by a new session that is.
        </p>
      )}
      <p class="hint">
        Read at {formatUtc(now)}. Showing this never extends the session.{' '}
        <a
          id="inspector-refresh"
          href="/how-it-works"
          hx-get="/how-it-works"
          hx-target="#session-inspector"
          hx-swap="outerHTML"
        >
          Refresh
        </a>
      </p>
    </section>
  )
}
