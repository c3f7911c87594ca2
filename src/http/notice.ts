import type { Context } from 'hono'
import { readCookie } from '../session/cookie.ts'

const NAME = 'taproom_notice'

/*
 * A notice that must outlive the session it is about (logging out destroys the
 * session that would have carried it): a short-lived cookie holding only a
 * code from this list, never text, so it cannot be used to inject anything.
 */
const NOTICES = { 'logged-out': 'Logged out.' } as const

export type NoticeCode = keyof typeof NOTICES

export function setNotice(c: Context, code: NoticeCode): void {
  c.header('Set-Cookie', `${NAME}=${code}; Max-Age=60; Path=/; HttpOnly; SameSite=Lax`, { append: true })
}

/** The pending notice, if any; it is cleared so it shows once. */
export function takeNotice(c: Context): string | undefined {
  const code = readCookie(c.req.header('cookie'), NAME)
  if (code === undefined) return undefined
  c.header('Set-Cookie', `${NAME}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax`, { append: true })
  return NOTICES[code as NoticeCode]
}
