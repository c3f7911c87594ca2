import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2'
import mysql from 'mysql2/promise'
import * as schema from './schema.ts'

export type Database = MySql2Database<typeof schema>
export type DatabaseHandle = {
  /** For requests: every query is bounded by QUERY_TIMEOUT_MS. */
  db: Database
  /** Without a query timeout, for migrations, which may take long on a big table. */
  unbounded: Database
  pool: mysql.Pool
}

/*
 * Bounded waits: while MySQL is down or hangs, or every pooled connection is
 * busy, a login answers "temporarily unavailable" within seconds instead of
 * hanging. QUERY_TIMEOUT_MS bounds the whole step: the wait for a connection
 * and the query together.
 */
const CONNECT_TIMEOUT_MS = 2000
const QUERY_TIMEOUT_MS = 3000

/** A small connection pool: only logins, sign-ups and account pages use MySQL. */
export function createDatabase(url: string): DatabaseHandle {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: 10,
    connectTimeout: CONNECT_TIMEOUT_MS,
    enableKeepAlive: true,
    waitForConnections: true,
    queueLimit: 100,
  })
  return {
    db: drizzle(withQueryTimeout(pool, QUERY_TIMEOUT_MS), { schema, mode: 'default' }),
    unbounded: drizzle(pool, { schema, mode: 'default' }),
    pool,
  }
}

function withQueryTimeout(pool: mysql.Pool, timeoutMs: number): mysql.Pool {
  const query = (options: string | mysql.QueryOptions, values?: mysql.QueryOptions['values']) =>
    boundedQuery(pool, options, values, timeoutMs)
  // Drizzle takes a connection of its own for a transaction.
  const getConnection = () => boundedConnection(pool, timeoutMs)
  return new Proxy(pool, {
    get: (target, property) =>
      property === 'query'
        ? query
        : property === 'getConnection'
          ? getConnection
          : Reflect.get(target, property, target),
  })
}

/*
 * A connection whose every statement, a query or a transaction from BEGIN to
 * COMMIT or ROLLBACK, shares one deadline with the wait for it. After a
 * timeout the connection is lost (mysql2 leaves it waiting for the lost
 * reply): later statements on it fail at once instead of queueing behind that
 * reply, and it is destroyed at the timeout itself, not released, since
 * Drizzle does not release a connection whose BEGIN failed.
 */
async function boundedConnection(pool: mysql.Pool, timeoutMs: number): Promise<mysql.PoolConnection> {
  const deadline = performance.now() + timeoutMs
  const connection = await acquire(pool, timeoutMs)
  let lost: unknown
  const bounded =
    (run: typeof connection.query) =>
    async (options: string | mysql.QueryOptions, values?: mysql.QueryOptions['values']) => {
      if (lost) throw lost
      const query: mysql.QueryOptions = typeof options === 'string' ? { sql: options } : options
      try {
        return await run.call(
          connection,
          { ...query, timeout: Math.max(1, Math.round(deadline - performance.now())) },
          values,
        )
      } catch (error) {
        if ((error as { code?: string }).code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
          lost = error
          connection.destroy()
        }
        throw error
      }
    }
  const query = bounded(connection.query)
  const execute = bounded(connection.execute as typeof connection.query)
  const release = () => {
    if (!lost) connection.release()
  }
  return new Proxy(connection, {
    get: (target, property) => {
      if (property === 'query') return query
      if (property === 'execute') return execute
      if (property === 'release') return release
      return Reflect.get(target, property, target)
    },
  })
}

/*
 * mysql2 only fails a timed-out query and leaves its connection waiting for the
 * lost reply, and every later query on that connection would wait behind it: so
 * each query gets a bounded connection of its own, destroyed on a timeout
 * instead of going back to the pool.
 */
async function boundedQuery(
  pool: mysql.Pool,
  options: string | mysql.QueryOptions,
  values: mysql.QueryOptions['values'],
  timeoutMs: number,
) {
  const connection = await boundedConnection(pool, timeoutMs)
  try {
    return await connection.query(typeof options === 'string' ? { sql: options } : options, values)
  } finally {
    connection.release()
  }
}

/*
 * mysql2's pool has no timeout for the wait itself: with every connection
 * busy (or hung) a query would queue for as long as they take. A connection
 * that arrives after the wait gave up goes straight back to the pool.
 */
function acquire(pool: mysql.Pool, timeoutMs: number): Promise<mysql.PoolConnection> {
  return new Promise((resolve, reject) => {
    let gaveUp = false
    const timer = setTimeout(() => {
      gaveUp = true
      reject(Object.assign(new Error('Timed out waiting for a database connection'), { code: 'ETIMEDOUT' }))
    }, timeoutMs)
    pool.getConnection().then(
      (connection) => {
        clearTimeout(timer)
        if (gaveUp) connection.release()
        else resolve(connection)
      },
      (error) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}
