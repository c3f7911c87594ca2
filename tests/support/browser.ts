import type { Hono } from 'hono'

type Fetcher = { request: Hono['request'] } | { baseUrl: string }

export type FormData = Record<string, string | string[]>

/**
 * A minimal cookie-keeping client over app.request() (or a real server): what a
 * browser does with Set-Cookie, and reading the CSRF token off the page.
 */
export class TestBrowser {
  readonly cookies = new Map<string, string>()
  readonly #fetcher: Fetcher
  csrfToken = ''
  headers: Record<string, string> = {}

  constructor(fetcher: Fetcher) {
    this.#fetcher = fetcher
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    for (const [name, value] of Object.entries(this.headers)) if (!headers.has(name)) headers.set(name, value)
    if (this.cookies.size > 0 && !headers.has('cookie')) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '))
    }
    const response =
      'baseUrl' in this.#fetcher
        ? await fetch(this.#fetcher.baseUrl + path, { ...init, headers, redirect: 'manual' })
        : await this.#fetcher.request(path, { ...init, headers })
    for (const cookie of response.headers.getSetCookie()) this.#store(cookie)
    return response
  }

  /** GET a page and remember its CSRF token. */
  async get(path: string, headers: Record<string, string> = {}): Promise<{ response: Response; html: string }> {
    const response = await this.request(path, { headers })
    const html = await response.text()
    const token = html.match(/<meta name="csrf-token" content="([^"]*)"/)?.[1]
    if (token) this.csrfToken = token
    return { response, html }
  }

  /** POST a urlencoded form; the CSRF token goes in as _csrf unless the form says otherwise. */
  async post(
    path: string,
    form: FormData = {},
    { htmx = false, headers = {} }: { htmx?: boolean; headers?: Record<string, string> } = {},
  ) {
    const body = new URLSearchParams()
    if (!('_csrf' in form)) body.append('_csrf', this.csrfToken)
    for (const [name, value] of Object.entries(form)) {
      for (const item of Array.isArray(value) ? value : [value]) body.append(name, item)
    }
    const response = await this.request(path, {
      method: 'POST',
      body: body.toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(htmx ? { 'hx-request': 'true' } : {}),
        ...headers,
      },
    })
    return { response, html: await response.text() }
  }

  #store(header: string): void {
    const [pair, ...attributes] = header.split(';')
    const eq = pair!.indexOf('=')
    const name = pair!.slice(0, eq).trim()
    const value = pair!.slice(eq + 1).trim()
    const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute))
    if (expired || value === '') this.cookies.delete(name)
    else this.cookies.set(name, value)
  }
}

/** Reads the session panel's data attributes from a page or fragment. */
export function panelOf(html: string) {
  const panel = html.match(/<section id="session-panel"[^>]*>/)?.[0] ?? ''
  const attribute = (name: string) => panel.match(new RegExp(`${name}="([^"]*)"`))?.[1]
  return {
    found: panel !== '',
    sessionId: attribute('data-session-id'),
    expiresIn: Number(attribute('data-expires-in')),
    expiresAt: Number(attribute('data-expires-at')),
    beers: Number(attribute('data-beers-viewed')),
    email: attribute('data-user-email'),
    oob: panel.includes('hx-swap-oob'),
  }
}
