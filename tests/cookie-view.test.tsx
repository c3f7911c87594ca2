import { describe, expect, test } from 'bun:test'
import { CookieView } from '../src/views/partials/cookie-view.tsx'

const token = 'T'.repeat(32)
const signature = 'S'.repeat(22)
const render = (value: string | undefined) =>
  String(<CookieView name="taproom_session" value={value} expiresAt={Date.UTC(2026, 0, 1)} />)

describe('the cookie as How it works shows it', () => {
  test("a visitor's cookie: token and signature, both masked", () => {
    const html = render(`${token}.${signature}`)
    expect(html).toContain('taproom_session=‹32 characters›.‹22 characters›')
    expect(html).not.toContain(token)
    expect(html).not.toContain(signature)
  })

  test('a signed-in cookie: the user id is named as such, not passed off as the signature', () => {
    const html = render(`${token}.12345.${signature}`)
    expect(html).toContain('taproom_session=‹32 characters›.‹user id›.‹22 characters›')
    expect(html).not.toContain('12345')
  })

  test('no cookie yet: says this page sets it', () => {
    expect(render(undefined)).toContain('‹set by this page›')
  })
})
