import type { PGlite, Transaction } from '@electric-sql/pglite'
import { toStoreError } from './connection-errors.js'
import type { Database, Queryable, QueryResult } from './database.js'

/** PGlite's `query`/`exec`, behind the same seam as node-postgres. */
function queryable(target: PGlite | Transaction): Queryable {
  return {
    async query<Row>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      try {
        const result = await target.query<Row>(text, params as unknown[] | undefined)
        return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length }
      } catch (error) {
        throw toStoreError(error)
      }
    },
    async exec(text) {
      try {
        await target.exec(text)
      } catch (error) {
        throw toStoreError(error)
      }
    },
  }
}

/**
 * The PGlite side of the seam. PGlite is one connection that queues statements and
 * transactions, so the SQL that is atomic on a pool is atomic here too.
 */
export function pgliteDatabase(db: PGlite, owned: boolean): Database {
  let closed: Promise<void> | undefined
  return {
    ...queryable(db),
    transaction: (body) => db.transaction((tx) => body(queryable(tx))),
    close() {
      if (!owned) return Promise.resolve()
      closed ??= db.closed ? Promise.resolve() : db.close()
      return closed
    },
  }
}
