import type { TcpProxy } from '../../support/tcp-proxy.ts'
import { SERVER_URL } from '../../support/test-app.ts'

/** Host and port of the test MySQL/MariaDB server, for a proxy in front of it. */
export function mysqlAddress(): { host: string; port: number } {
  const url = new URL(SERVER_URL)
  return { host: url.hostname, port: Number(url.port || 3306) }
}

/** A DATABASE_URL for `database` that reaches MySQL through `proxy`. */
export function databaseUrlVia(proxy: TcpProxy, database: string): string {
  const url = new URL(SERVER_URL)
  url.hostname = '127.0.0.1'
  url.port = String(proxy.port)
  url.pathname = `/${database}`
  return url.toString()
}
