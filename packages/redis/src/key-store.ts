import type { KeyStore, StoredJWKS } from '@keygate/core/jwks'
import { emitter, type RedisPartOptions, resolvePartOptions } from './client.js'
import type { RedisEvent } from './events.js'
import { createLeasedStore } from './leased-store.js'

/** Options of `createRedisKeyStore`. */
export interface RedisKeyStoreOptions extends RedisPartOptions {
  /** Every fallback (a failed command answered as a miss, a fetch without the lease) is reported here. */
  onEvent?: (event: RedisEvent) => void
}

function isStoredJWKS(value: unknown): value is StoredJWKS {
  if (typeof value !== 'object' || value === null) return false
  const { jwks, fetchedAt, expiresAt } = value as Partial<StoredJWKS>
  return (
    typeof jwks === 'object' &&
    jwks !== null &&
    Array.isArray(jwks.keys) &&
    typeof fetchedAt === 'number' &&
    typeof expiresAt === 'number'
  )
}

/**
 * A `KeyStore` in Redis: every process (or serverless instance) shares one copy of each JWKS
 * with its freshness, and a lease (`SET NX PX`, released by compare-and-delete) lets one of N
 * processes starting cold fetch upstream while the others wait for its copy. Each process's
 * remote JWKS keeps its own in-memory copy as the first level: Redis is asked only when that
 * copy must be refreshed, never per request. When Redis cannot be reached, reads are misses and
 * the lease is skipped (each process fetches for itself), with a `command_failed` event.
 *
 * @example
 * import { createClient } from 'redis'
 * const client = await createClient({ url: process.env.REDIS_URL }).connect()
 * const auth = createAuth({ issuer, audience, jwks: { store: createRedisKeyStore({ client }) } })
 */
export function createRedisKeyStore(options: RedisKeyStoreOptions): KeyStore {
  const { client, prefix, timeout } = resolvePartOptions(options, 'createRedisKeyStore')
  return createLeasedStore<StoredJWKS>({
    part: 'key-store',
    client,
    valuePrefix: `${prefix}jwks:`,
    leasePrefix: `${prefix}jwks-lease:`,
    timeout,
    emit: emitter(options.onEvent),
    isValue: isStoredJWKS,
    acquireFallback: true,
  })
}
