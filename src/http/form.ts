import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'

const MAX_BODY_BYTES = 16 * 1024
const UNREADABLE = 'The submitted form could not be read.'
const FORM_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data']

/**
 * Guards every POST before anything reads it: form encodings only (415), at
 * most 16 KB (413) — so a megabyte "password" never reaches bcrypt.
 */
export function formBodyGuard(): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new HTTPException(413, { message: 'The submitted form is too large.' })
    },
  })
  return async function formBodyGuardMiddleware(c, next) {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || c.req.method === 'OPTIONS') return next()
    const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase()
    const hasBody = c.req.header('content-length') !== '0' && c.req.header('content-length') !== undefined
    if (type ? !FORM_TYPES.includes(type) : hasBody || c.req.header('transfer-encoding') !== undefined) {
      throw new HTTPException(415, {
        message: 'Send the form as application/x-www-form-urlencoded or multipart/form-data.',
      })
    }
    let reachedHandler = false
    try {
      return await limit(c, () => {
        reachedHandler = true
        return next()
      })
    } catch (error) {
      if (reachedHandler || error instanceof HTTPException) throw error
      // The body broke off or was malformed (a bad chunk): the client's fault, not ours.
      throw new HTTPException(400, { message: UNREADABLE, cause: error })
    }
  }
}

export type FormValues = Record<string, string | File | (string | File)[]>

/** The submitted form, every repeated field kept (so validation can refuse it). */
export async function readForm(c: Context): Promise<FormValues> {
  if (!c.req.header('content-type')) return {}
  try {
    return (await c.req.parseBody({ all: true })) as FormValues
  } catch (error) {
    if (error instanceof HTTPException) throw error
    throw new HTTPException(400, { message: UNREADABLE, cause: error })
  }
}
