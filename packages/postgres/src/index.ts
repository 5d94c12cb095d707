export { isConnectionError, STORE_RETRY_AFTER_SECONDS } from './connection-errors.js'
export { createPGliteStore, type PGliteStoreOptions } from './create-pglite-store.js'
export {
  createPostgresStore,
  DEFAULT_CONNECTION_TIMEOUT_MS,
  type PostgresStoreOptions,
} from './create-postgres-store.js'
export { LATEST_VERSION as SCHEMA_VERSION } from './migrations.js'
export { DEFAULT_SCHEMA } from './schema-name.js'
export { DEFAULT_API_KEY_RETENTION, DEFAULT_PURGE_EVERY } from './sql-issuer-store.js'
export type { PostgresIssuerStore, PostgresStoreEvent, StoreOptions } from './types.js'
