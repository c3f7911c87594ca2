import { UAParser } from 'ua-parser-js'

const MAX_USER_AGENT = 512

/** A readable device name ("Firefox on Linux") from a User-Agent header. */
export function describeDevice(userAgent: string | undefined): string {
  if (!userAgent) return 'Unknown device'
  const { browser, os } = UAParser(userAgent.slice(0, MAX_USER_AGENT))
  const name = browser.name ?? userAgent.match(/^[A-Za-z][\w.-]{0,39}/)?.[0] ?? 'Unknown browser'
  return os.name ? `${name} on ${os.name}` : name
}
