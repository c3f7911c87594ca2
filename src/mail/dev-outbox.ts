import type { Mail } from './message.ts'

export type OutboxEntry = Mail & { id: number; sentAt: number }

const CAPACITY = 50

/**
 * Where mail goes in development when no SMTP_URL is set: the last 50 mails in
 * memory, shown at GET /dev/mail. Never used in production.
 */
export class DevOutbox {
  readonly #entries: OutboxEntry[] = []
  #nextId = 1

  add(mail: Mail, sentAt: number): OutboxEntry {
    const entry = { ...mail, id: this.#nextId++, sentAt }
    this.#entries.unshift(entry)
    this.#entries.length = Math.min(this.#entries.length, CAPACITY)
    return entry
  }

  /** Newest first. */
  list(): readonly OutboxEntry[] {
    return this.#entries
  }
}
