/**
 * Opens the store `config.database` names: PostgreSQL (a `pg` pool) or embedded PGlite in the
 * data directory, both from `@keygate/postgres`.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { IssuerStore } from '@keygate/core'
import type { PostgresStoreEvent } from '@keygate/postgres'
import type { FastifyBaseLogger } from 'fastify'
import type { ServerConfig } from './config.js'

/** A store the server can probe (`/readyz`) and close (shutdown). */
export type ServerStore = IssuerStore & { ping(): Promise<void>; close(): Promise<void> }

/** PGlite keeps its files here, beside the development secret. */
export const PGLITE_DIR = 'pglite'

/**
 * Opens (and migrates) the configured store. Rejects with `StoreUnavailableError` when
 * PostgreSQL cannot be reached.
 */
export async function openStore(
  config: ServerConfig,
  options: { log: FastifyBaseLogger; clock?: () => number },
): Promise<ServerStore> {
  const common = {
    ...(config.schema !== undefined ? { schema: config.schema } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    onEvent: (event: PostgresStoreEvent) => logStoreEvent(options.log, event),
  }
  // Loaded on use: an embedding application with its own store never loads pg or PGlite's WASM.
  const { createPGliteStore, createPostgresStore } = await import('@keygate/postgres')
  if (config.database.kind === 'postgres') {
    return createPostgresStore({ connectionString: config.database.connectionString, ...common })
  }
  // PGlite creates its own directory but not the parents; the data directory is private.
  await mkdir(config.database.dataDir, { recursive: true, mode: 0o700 })
  return createPGliteStore({ dataDir: join(config.database.dataDir, PGLITE_DIR), ...common })
}

/** Failures are logged by code only: a driver's message may quote a host or a user name. */
function logStoreEvent(log: FastifyBaseLogger, event: PostgresStoreEvent): void {
  if (event.type === 'pool_error' || event.type === 'purge_failed') {
    const code = (event.error as { code?: unknown } | null)?.code
    log.warn({ store: event.type, code: typeof code === 'string' ? code : undefined }, `store ${event.type}`)
  } else log.info({ store: event }, `store ${event.type}`)
}
