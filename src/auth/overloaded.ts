/**
 * Too much work is already waiting (password hashing, strength checks, logins
 * in flight): the request is refused at once with 503 and Retry-After instead
 * of joining a queue whose wait nobody would sit through.
 */
export class OverloadedError extends Error {
  override name = 'OverloadedError'
  readonly retryAfterSeconds: number

  constructor(what: string, retryAfterSeconds = 2) {
    super(`${what} is busy`)
    this.retryAfterSeconds = retryAfterSeconds
  }
}
