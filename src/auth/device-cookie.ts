import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export const DEVICE_COOKIE = 'taproom_device'

/* About a year: a browser used to sign in now and then stays known. */
const MAX_AGE_SECONDS = 365 * 24 * 60 * 60
/* The accounts one browser is known for, most recent first. */
const MAX_ACCOUNTS = 5
const MAX_VALUE_LENGTH = 200
const TOKEN = /^[A-Za-z0-9_-]+$/

/** A browser that has signed in before: its random id and the accounts it signed in to (as keyed hashes). */
export type Device = { id: string; accounts: string[] }

type Keys = { sign: Buffer; account: Buffer }

/**
 * The signed `taproom_device` cookie: a random id for this browser and, for
 * each account it has signed in to, a keyed hash of the account's email (never
 * the address). It lets the owner's own browsers keep logging in while a
 * stranger's guesses have exhausted the account's cap (AccountThrottle), and
 * tells whether a sign-in comes from a browser new to the account (for "new
 * browser" notices). Signed with the first SESSION_SECRET and accepted under
 * any of them, so a rotation forgets no browser.
 */
export class DeviceCookies {
  readonly #keys: Keys[]
  readonly #secure: boolean

  constructor({ secrets, secure }: { secrets: readonly string[]; secure: boolean }) {
    this.#keys = secrets.map((secret) => ({
      sign: createHmac('sha256', secret).update('taproom device cookie').digest(),
      account: createHmac('sha256', secret).update('taproom device account').digest(),
    }))
    this.#secure = secure
  }

  /** The device a cookie value names, or undefined when it is missing, malformed or not signed by us. */
  read(value: string | undefined): Device | undefined {
    if (!value || value.length > MAX_VALUE_LENGTH) return undefined
    const [id, accounts, signature, extra] = value.split('.')
    if (extra !== undefined || !id || accounts === undefined || !signature) return undefined
    if (!TOKEN.test(id) || !TOKEN.test(signature) || (accounts && !/^[A-Za-z0-9_~-]+$/.test(accounts))) return undefined
    const given = Buffer.from(signature, 'base64url')
    const payload = `${id}.${accounts}`
    const valid = this.#keys.some(({ sign }) => {
      const expected = mac(sign, payload)
      return expected.length === given.length && timingSafeEqual(expected, given)
    })
    return valid ? { id, accounts: accounts ? accounts.split('~') : [] } : undefined
  }

  /** Whether this browser has signed in to the account with this email before. */
  knows(device: Device | undefined, email: string): boolean {
    if (!device) return false
    const tags = this.#tagsOf(email)
    return device.accounts.some((account) => tags.includes(account))
  }

  /** The id of a valid device cookie that names this account, else undefined. */
  knownDeviceId(value: string | undefined, email: string): string | undefined {
    const device = this.read(value)
    return this.knows(device, email) ? device!.id : undefined
  }

  /** The Set-Cookie header that adds `email`'s account to this browser's cookie (a new one if it has none). */
  remember(value: string | undefined, email: string): string {
    const device = this.read(value)
    const id = device?.id ?? randomBytes(16).toString('base64url')
    const tags = this.#tagsOf(email)
    const others = (device?.accounts ?? []).filter((account) => !tags.includes(account))
    const accounts = [tags[0]!, ...others].slice(0, MAX_ACCOUNTS).join('~')
    const payload = `${id}.${accounts}`
    const signed = `${payload}.${mac(this.#keys[0]!.sign, payload).toString('base64url')}`
    return [
      `${DEVICE_COOKIE}=${signed}`,
      `Max-Age=${MAX_AGE_SECONDS}`,
      'Path=/',
      'HttpOnly',
      'SameSite=Lax',
      ...(this.#secure ? ['Secure'] : []),
    ].join('; ')
  }

  /* The account's tag under each secret, the first one's first. */
  #tagsOf(email: string): string[] {
    const address = email.trim().toLowerCase()
    return this.#keys.map(({ account }) => mac(account, address).subarray(0, 12).toString('base64url'))
  }
}

function mac(key: Buffer, payload: string): Buffer {
  return createHmac('sha256', key).update(payload).digest().subarray(0, 16)
}
