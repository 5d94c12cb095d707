import type { Duration, IssuerStore } from '@keygate/core'

/** What the store reports: schema migrations, purges and their failures. Never thrown, never secret. */
export type PostgresStoreEvent =
  | { type: 'migrated'; schema: string; from: number; to: number }
  | { type: 'purged'; refreshTokens: number; apiKeys: number; at: number }
  | { type: 'purge_failed'; error: unknown; at: number }
  | { type: 'pool_error'; error: unknown }

/** Options both factories share. */
export interface StoreOptions {
  /** PostgreSQL schema holding the tables; identifier characters only. Default `'keygate'`. */
  schema?: string
  /**
   * How often expired refresh tokens and long-dead API keys are deleted (`store.purge()`), or
   * `false` to leave it to you. Default `'1h'`. The timer is `unref()`ed.
   */
  purgeEvery?: Duration | false
  /**
   * How long a revoked or expired API key stays listed (for audit) before a purge deletes it.
   * Default `'30d'`.
   */
  apiKeyRetention?: Duration
  /** Epoch-ms clock for scheduled purges; default `Date.now`. Give it the issuer's clock. */
  clock?: () => number
  /** Receives migrations, purges and purge failures; a throwing listener is ignored. */
  onEvent?: (event: PostgresStoreEvent) => void
}

/** An `IssuerStore` on PostgreSQL or PGlite, with the housekeeping a database needs. */
export interface PostgresIssuerStore extends IssuerStore {
  /** The schema the tables live in. */
  readonly schema: string
  /** One cheap round trip; rejects with `StoreUnavailableError` when the database cannot be reached. */
  ping(): Promise<void>
  /**
   * Deletes refresh tokens that expired before `now` and API keys revoked or expired more than
   * `apiKeyRetention` before `now`; returns how many of each. What the `purgeEvery` schedule runs.
   */
  purge(now?: number): Promise<{ refreshTokens: number; apiKeys: number }>
  /** Stops the purge timer; ends the pool or PGlite instance only if the factory created it. */
  close(): Promise<void>
}
