/** "2025-03-01 14:05:09 UTC": the server does not know the reader's time zone, so it says which one it uses. */
export function formatUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** "just now", "5 minutes ago", "in 3 hours". */
export function relativeTime(ms: number, now: number): string {
  const seconds = Math.round((ms - now) / 1000)
  const size = Math.abs(seconds)
  if (size < 10) return 'just now'
  const [amount, unit] =
    size < 90
      ? [size, 'second']
      : size < 90 * 60
        ? [Math.round(size / 60), 'minute']
        : size < 36 * 3600
          ? [Math.round(size / 3600), 'hour']
          : [Math.round(size / 86400), 'day']
  const phrase = `${amount} ${unit}${amount === 1 ? '' : 's'}`
  return seconds < 0 ? `${phrase} ago` : `in ${phrase}`
}

/**
 * A machine-readable time with the exact UTC time in its title. An absolute
 * time reads in UTC until public/app.js rewrites it in the reader's own time
 * zone and locale (data-local); a relative one ("5 minutes ago") needs no zone.
 */
export function Timestamp({ ms, now, relative = false }: { ms: number; now: number; relative?: boolean }) {
  const iso = new Date(ms).toISOString()
  return relative ? (
    <time datetime={iso} title={formatUtc(ms)}>
      {relativeTime(ms, now)}
    </time>
  ) : (
    <time datetime={iso} title={formatUtc(ms)} data-local>
      {formatUtc(ms)}
    </time>
  )
}
