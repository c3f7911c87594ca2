import { isIP } from 'node:net'

const IPV4_MAPPED = /^::ffff:(?:(\d{1,3}(?:\.\d{1,3}){3})|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i

/**
 * An IPv4 client written as IPv6 (::ffff:a.b.c.d or ::ffff:aabb:ccdd, as a
 * dual-stack socket or a proxy reports it) is that IPv4 client: the one place
 * addresses are made canonical, so throttles and logs count it once.
 */
export function canonicalIp(address: string | undefined): string | undefined {
  if (!address) return undefined
  const mapped = IPV4_MAPPED.exec(address)
  if (!mapped) return address
  if (mapped[1]) return isIP(mapped[1]) === 4 ? mapped[1] : address
  const high = Number.parseInt(mapped[2]!, 16)
  const low = Number.parseInt(mapped[3]!, 16)
  return [high >> 8, high & 255, low >> 8, low & 255].join('.')
}
