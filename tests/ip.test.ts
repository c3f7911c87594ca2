import { describe, expect, test } from 'bun:test'
import { canonicalIp } from '../src/ip.ts'

describe('canonicalIp', () => {
  test('an IPv4-mapped IPv6 address is its IPv4 client, in dotted or hex form', () => {
    expect(canonicalIp('::ffff:198.51.100.9')).toBe('198.51.100.9')
    expect(canonicalIp('::FFFF:203.0.113.9')).toBe('203.0.113.9')
    expect(canonicalIp('::ffff:c633:6409')).toBe('198.51.100.9')
    expect(canonicalIp('::ffff:7f00:1')).toBe('127.0.0.1')
  })

  test('leaves every other address as it is', () => {
    expect(canonicalIp('203.0.113.9')).toBe('203.0.113.9')
    expect(canonicalIp('2001:db8::5')).toBe('2001:db8::5')
    expect(canonicalIp('::ffff:999.1.1.1')).toBe('::ffff:999.1.1.1')
    expect(canonicalIp('')).toBeUndefined()
    expect(canonicalIp(undefined)).toBeUndefined()
  })
})
