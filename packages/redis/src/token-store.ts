import { emitter, type RedisPartOptions, resolvePartOptions } from './client.js'
import type { RedisEvent } from './events.js'
import { createLeasedStore } from './leased-store.js'

/** A client's current tokens, as `@keygate/client` keeps them. */
export interface StoredTokens {
  accessToken: string
  /** ms since epoch */
  expiresAt: number
  refreshToken?: string
  scope?: string
}

/** The store `@keygate/client` shares tokens through (the same shape, declared here structurally). */
export interface TokenStore {
  get(key: string): Promise<StoredTokens | undefined>
  set(key: string, tokens: StoredTokens, ttlMs: number): Promise<void>
  delete(key: string): Promise<void>
  /** Compare-and-set lease: `true` for the one caller that should refresh; the others wait for its token. */
  acquire?(key: string, ttlMs: number): Promise<boolean>
  release?(key: string): Promise<void>
}

/** Options of `createRedisTokenStore`. */
export interface RedisTokenStoreOptions extends RedisPartOptions {
  /** Every fallback (a failed command answered as a miss, a refresh without the lease) is reported here. */
  onEvent?: (event: RedisEvent) => void
}

function isStoredTokens(value: unknown): value is StoredTokens {
  if (typeof value !== 'object' || value === null) return false
  const { accessToken, expiresAt, refreshToken, scope } = value as Partial<StoredTokens>
  return (
    typeof accessToken === 'string' &&
    typeof expiresAt === 'number' &&
    (refreshToken === undefined || typeof refreshToken === 'string') &&
    (scope === undefined || typeof scope === 'string')
  )
}

/**
 * A `TokenStore` for `@keygate/client` in Redis: processes using the same credentials share one
 * access token, and the lease makes one of them refresh it while the others wait for the result.
 * The tokens are stored as they are (other processes must be able to use them): protect the
 * Redis like the credentials themselves (ACLs, TLS). When Redis cannot be reached, reads are
 * misses and `acquire` answers `true` (each process gets its own token), with a
 * `command_failed` event.
 *
 * @example
 * import { createClient } from 'redis'
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect()
 * const tokenStore = createRedisTokenStore({ client: redis })
 */
export function createRedisTokenStore(options: RedisTokenStoreOptions): TokenStore {
  const { client, prefix, timeout } = resolvePartOptions(options, 'createRedisTokenStore')
  return createLeasedStore<StoredTokens>({
    part: 'token-store',
    client,
    valuePrefix: `${prefix}client-token:`,
    leasePrefix: `${prefix}client-token-lease:`,
    timeout,
    emit: emitter(options.onEvent),
    isValue: isStoredTokens,
    acquireFallback: true,
  })
}
