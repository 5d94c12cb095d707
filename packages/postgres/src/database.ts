/**
 * The seam between the store's SQL and a driver: node-postgres or PGlite. The store is written
 * once against this; each driver is a few lines that run text + parameters and report
 * connection-level failures as `StoreUnavailableError` (see `connection-errors.ts`).
 */

/** The rows of one statement, and how many rows it touched. */
export interface QueryResult<Row> {
  rows: Row[]
  rowCount: number
}

/** Something that runs SQL: the database, or one transaction's connection. */
export interface Queryable {
  /** One statement with `$1…` parameters. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<Row>>
  /** Several `;`-separated statements without parameters (migrations). */
  exec(text: string): Promise<void>
}

/** A database the store owns a handle to. */
export interface Database extends Queryable {
  /** Runs `body` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(body: (tx: Queryable) => Promise<T>): Promise<T>
  /** Releases what the factory created (a pool, a PGlite instance); a no-op for what the caller passed in. */
  close(): Promise<void>
}
