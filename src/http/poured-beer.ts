import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'
import { serialize } from 'hono/utils/cookie'
import type { Beer } from '../beer/generator.ts'

const MAX_NAME = 200
const MAX_STYLE = 100

/**
 * Post/Redirect/Get for a pour without JavaScript: POST /beer answers 303 to
 * `/`, and the beer it poured rides along in this short-lived cookie, shown
 * once by the home page, which removes it. Refreshing or going back never pours
 * again. It holds only the generated name and style, nothing about the visitor,
 * and is read as text (escaped when shown), so a planted one can only show a
 * made-up beer name once.
 */
export function pouredBeerCookie({ secure }: { secure: boolean }) {
  const name = secure ? '__Host-taproom_poured' : 'taproom_poured'
  const base = { httpOnly: true, sameSite: 'Lax', path: '/', secure } as const
  return {
    /** Remembers the beer for the next page. */
    set(c: Context, beer: Beer | 'error'): void {
      const value = beer === 'error' ? 'error' : JSON.stringify([beer.name, beer.style])
      c.header('Set-Cookie', serialize(name, value, { ...base, maxAge: 60 }), { append: true })
    },
    /** The beer left by the last pour, if any; removes it so it shows once. */
    take(c: Context): Beer | 'error' | null {
      const value = getCookie(c, name)
      if (value === undefined) return null
      c.header('Set-Cookie', serialize(name, '', { ...base, maxAge: 0, expires: new Date(0) }), { append: true })
      if (value === 'error') return 'error'
      try {
        const parsed: unknown = JSON.parse(value)
        if (!Array.isArray(parsed) || parsed.length !== 2) return null
        const [beerName, style] = parsed
        if (typeof beerName !== 'string' || typeof style !== 'string') return null
        if (!beerName || beerName.length > MAX_NAME || style.length > MAX_STYLE) return null
        return { name: beerName, style }
      } catch {
        return null
      }
    },
  }
}
