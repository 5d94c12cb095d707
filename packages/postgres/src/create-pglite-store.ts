import type { PGlite } from '@electric-sql/pglite'
import { pgliteDatabase } from './pglite-database.js'
import { createSQLIssuerStore } from './sql-issuer-store.js'
import type { PostgresIssuerStore, StoreOptions } from './types.js'

/** Options of `createPGliteStore`: where PGlite keeps its files, plus the options every store has. */
export interface PGliteStoreOptions extends StoreOptions {
  /** A directory for PGlite's files (created if missing); `undefined` = in memory, gone on close. */
  dataDir?: string
  /** Your own PGlite instance instead; it is used as is and left open by `close()`. */
  db?: PGlite
}

/**
 * An `IssuerStore` on embedded PGlite (PostgreSQL compiled to WebAssembly): the same SQL as
 * `createPostgresStore`, in process, for development, tests and single-instance deployments.
 * One process at a time may open a `dataDir`.
 *
 * @example
 * const store = await createPGliteStore({ dataDir: './keygate-data' })
 * const issuer = createIssuer({ issuer, audience, store, encryptionKey })
 */
export async function createPGliteStore(options: PGliteStoreOptions = {}): Promise<PostgresIssuerStore> {
  let instance = options.db
  const owned = instance === undefined
  if (instance === undefined) {
    // Loaded here, not at import: a process on node-postgres never loads the WebAssembly build.
    const { PGlite } = await import('@electric-sql/pglite')
    instance = await PGlite.create(options.dataDir)
  }
  const db = pgliteDatabase(instance, owned)
  try {
    return await createSQLIssuerStore(db, options)
  } catch (error) {
    await db.close().catch(() => {})
    throw error
  }
}
