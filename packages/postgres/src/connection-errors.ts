import { StoreUnavailableError } from '@keygate/core'

/**
 * Seconds a client should wait before retrying when the database cannot be reached: a pool
 * reconnects on its next checkout, so a restarted or failed-over database is back within a
 * second or two.
 */
export const STORE_RETRY_AFTER_SECONDS = 1

/** Socket-level failures Node reports while connecting to or talking with the server. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
])

/**
 * SQLSTATEs that mean "the server, not the statement": class 08 (connection exception), 57P01
 * admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up, in recovery),
 * 53300 too many connections.
 * @see https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const SERVER_STATES = new Set(['57P01', '57P02', '57P03', '53300'])

/**
 * node-postgres reports a lost connection and a pool checkout timeout as plain `Error`s without
 * a code; these are their messages (pg 8: `Connection terminated unexpectedly`,
 * `Connection terminated due to connection timeout`, `timeout exceeded when trying to connect`,
 * `Client has encountered a connection error and is not queryable`).
 */
const DRIVER_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/

/**
 * True when `error` says the database cannot be reached (down, restarting, unreachable, out of
 * connections) rather than that a statement was wrong. Only these become a 503: a constraint
 * violation or a syntax error is a bug or a contract error and must stay loud.
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  if (error instanceof StoreUnavailableError) return true
  // Node's AggregateError (several addresses tried, all refused) carries the codes in `errors`.
  if (error instanceof AggregateError && error.errors.some(isConnectionError)) return true
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || SERVER_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true
  }
  const message = (error as { message?: unknown }).message
  return typeof message === 'string' && DRIVER_MESSAGES.test(message)
}

/** The error a store method rejects with: `StoreUnavailableError` for an outage, `error` as it is otherwise. */
export function toStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isConnectionError(error)) return error
  // The driver's error is kept as `cause` for logs; its text never reaches a client.
  return new StoreUnavailableError(
    'The issuer store (PostgreSQL) cannot be reached',
    STORE_RETRY_AFTER_SECONDS,
    {
      cause: error,
    },
  )
}
