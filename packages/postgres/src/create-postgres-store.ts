import { ConfigurationError } from '@keygate/core'
import type { Pool, PoolConfig } from 'pg'
import { pgDatabase } from './pg-database.js'
import { createSQLIssuerStore } from './sql-issuer-store.js'
import type { PostgresIssuerStore, StoreOptions } from './types.js'

/**
 * A pool checkout waits at most this long for a connection: an unreachable database becomes a
 * 503 within seconds instead of requests hanging until the client gives up.
 */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000

/** Options of `createPostgresStore`: where the database is, plus the options every store has. */
export interface PostgresStoreOptions extends StoreOptions {
  /** `postgres://user:pass@host:5432/db`; the store creates (and on `close()` ends) its own pool. */
  connectionString?: string
  /** Your own `pg.Pool` instead; it is used as is and left open by `close()`. */
  pool?: Pool
}

/**
 * An `IssuerStore` on PostgreSQL through node-postgres. Migrations are applied before the
 * promise resolves (once, under an advisory lock, however many instances start together).
 * Connection-level failures reject with `StoreUnavailableError` (503 + `Retry-After`); the pool
 * reconnects by itself on the next call once the database is back.
 *
 * @example
 * const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL })
 * const issuer = createIssuer({ issuer, audience, store, encryptionKey })
 */
export async function createPostgresStore(options: PostgresStoreOptions = {}): Promise<PostgresIssuerStore> {
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new ConfigurationError('createPostgresStore needs exactly one of connectionString and pool')
  }
  let pool = options.pool
  const owned = pool === undefined
  if (pool === undefined) {
    const { default: pg } = await import('pg')
    const config: PoolConfig = {
      connectionString: options.connectionString,
      connectionTimeoutMillis: DEFAULT_CONNECTION_TIMEOUT_MS,
    }
    pool = new pg.Pool(config)
    // An idle client whose server went away emits 'error' on the pool; unheard, Node would
    // crash the process. The pool drops that client and the next call connects afresh.
    pool.on('error', (error) => {
      try {
        options.onEvent?.({ type: 'pool_error', error })
      } catch {
        // A listener's failure must not turn a handled pool error into a crash.
      }
    })
  }
  const db = pgDatabase(pool, owned)
  try {
    return await createSQLIssuerStore(db, options)
  } catch (error) {
    await db.close().catch(() => {})
    throw error
  }
}
