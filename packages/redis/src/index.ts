export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_PREFIX,
  type RedisClient,
  type RedisPartOptions,
  type RedisSubscriber,
} from './client.js'
export type { RedisEvent, RedisPart, RevocationKind } from './events.js'
export { createRedisKeyStore, type RedisKeyStoreOptions } from './key-store.js'
export { createRedisRateLimiter, type RedisRateLimiterOptions } from './rate-limiter.js'
export {
  createRedisRevocationList,
  type RedisRevocationList,
  type RedisRevocationListOptions,
  type Revocation,
} from './revocation-list.js'
export {
  createRedisTokenStore,
  type RedisTokenStoreOptions,
  type StoredTokens,
  type TokenStore,
} from './token-store.js'
