import type { Pool, PoolClient } from 'pg'
import { isConnectionError, toStoreError } from './connection-errors.js'
import type { Database, Queryable, QueryResult } from './database.js'

/** Runs on one pool client (a transaction's connection), reporting outages as `StoreUnavailableError`. */
function clientQueryable(client: PoolClient): Queryable {
  return {
    async query<Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      try {
        const result = await client.query(text, params as unknown[] | undefined)
        return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 }
      } catch (error) {
        throw toStoreError(error)
      }
    },
    async exec(text) {
      try {
        await client.query(text)
      } catch (error) {
        throw toStoreError(error)
      }
    },
  }
}

/**
 * The node-postgres side of the seam. Single statements go through `pool.query` (a checkout per
 * statement); a transaction holds one client from BEGIN to COMMIT. A client whose connection
 * broke is destroyed rather than returned, so the pool opens a fresh one on the next checkout:
 * that is how the store recovers by itself when the database comes back.
 */
export function pgDatabase(pool: Pool, owned: boolean): Database {
  let closed: Promise<void> | undefined
  return {
    async query<Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      try {
        const result = await pool.query(text, params as unknown[] | undefined)
        return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 }
      } catch (error) {
        throw toStoreError(error)
      }
    },
    async exec(text) {
      try {
        await pool.query(text)
      } catch (error) {
        throw toStoreError(error)
      }
    },
    async transaction(body) {
      let client: PoolClient
      try {
        client = await pool.connect()
      } catch (error) {
        throw toStoreError(error)
      }
      // `release(error)` destroys the client instead of pooling a dead connection.
      let broken: Error | undefined
      try {
        const tx = clientQueryable(client)
        await tx.query('BEGIN')
        const result = await body(tx)
        await tx.query('COMMIT')
        return result
      } catch (error) {
        if (isConnectionError(error)) broken = new Error('connection lost', { cause: error })
        // On a live connection the transaction must end before the client goes back to the pool.
        else await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release(broken)
      }
    },
    close() {
      if (!owned) return Promise.resolve()
      closed ??= pool.end()
      return closed
    },
  }
}
