import type { Context, MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { HTTPException } from 'hono/http-exception'
import { InvalidText } from '../auth/forms.ts'

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

export type FormValues = Record<string, string | File | InvalidText | (string | File | InvalidText)[]>

/** The submitted form, every repeated field kept (so validation can refuse it). */
export async function readForm(c: Context): Promise<FormValues> {
  if (!c.req.header('content-type')) return {}
  try {
    const form = (await c.req.parseBody({ all: true })) as FormValues
    if (c.req.header('content-type')?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      for (const name of notUtf8Fields(await c.req.text())) form[name] = new InvalidText()
    }
    return form
  } catch (error) {
    if (error instanceof HTTPException) throw error
    throw new HTTPException(400, { message: UNREADABLE, cause: error })
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/* Names of the urlencoded fields whose percent-decoded bytes are not valid UTF-8. */
function notUtf8Fields(body: string): string[] {
  const invalid: string[] = []
  for (const pair of body.split('&')) {
    const separator = pair.indexOf('=')
    if (separator < 0 || !/%[89A-Fa-f][0-9A-Fa-f]/.test(pair.slice(separator))) continue
    const bytes = Buffer.from(pair.slice(separator + 1).replaceAll('+', ' '), 'latin1')
    try {
      strictUtf8.decode(percentDecoded(bytes))
    } catch {
      invalid.push(decodeURIComponentSafe(pair.slice(0, separator).replaceAll('+', ' ')))
    }
  }
  return invalid
}

function percentDecoded(bytes: Buffer): Uint8Array {
  const out = new Uint8Array(bytes.length)
  let length = 0
  for (let i = 0; i < bytes.length; i++) {
    const hex = bytes[i] === 0x25 && i + 2 < bytes.length ? bytes.toString('latin1', i + 1, i + 3) : ''
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out[length++] = Number.parseInt(hex, 16)
      i += 2
    } else {
      out[length++] = bytes[i]!
    }
  }
  return out.subarray(0, length)
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}
