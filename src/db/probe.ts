import mysql from 'mysql2/promise'

const PROBE_TIMEOUT_MS = 1000

export type MysqlProbe = {
  /** SELECT 1 within a second on the probe's own connection; rejects otherwise. */
  ping(): Promise<void>
  close(): Promise<void>
}

/**
 * The readiness check's own MySQL connection, outside the request pool: a
 * flood of readiness checks cannot take the connections logins need, and a
 * full pool (a login storm) does not make the instance look dead. A connection
 * whose query failed or timed out is dropped and the next ping opens another.
 */
export function mysqlProbe(url: string): MysqlProbe {
  let connection: Promise<mysql.Connection> | undefined

  const drop = () => {
    const current = connection
    connection = undefined
    current?.then((open) => open.destroy()).catch(() => {})
  }

  const open = () => {
    const opening = mysql.createConnection({ uri: url, connectTimeout: PROBE_TIMEOUT_MS }).then((opened) => {
      // A connection lost while idle reports here; the next ping opens a new one.
      opened.on('error', () => {
        if (connection === opening) drop()
      })
      return opened
    })
    return opening
  }

  return {
    async ping() {
      connection ??= open()
      try {
        const opened = await connection
        await opened.query({ sql: 'SELECT 1', timeout: PROBE_TIMEOUT_MS })
      } catch (error) {
        drop()
        throw error
      }
    },
    async close() {
      const current = connection
      connection = undefined
      await current?.then((opened) => opened.end()).catch(() => {})
    },
  }
}
