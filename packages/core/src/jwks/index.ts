export { type DiscoveryOptions, discoverJWKSUri } from './discovery.js'
export { createMemoryKeyStore, type MemoryKeyStoreOptions } from './memory-store.js'
export {
  createRemoteJWKS,
  DEFAULT_BACKOFF_MS,
  DEFAULT_COOLDOWN_MS,
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_MAX_AGE_MS,
  DEFAULT_MAX_STALE_MS,
  DEFAULT_MAX_UNKNOWN_KIDS,
  DEFAULT_MAX_USES,
  DEFAULT_MIN_MAX_AGE_MS,
  DEFAULT_REFRESH_AHEAD,
  DEFAULT_TIMEOUT_MS,
  type RemoteJWKS,
  type RemoteJWKSOptions,
} from './remote.js'
export { createStaticJWKS } from './static.js'
export type {
  JWKSCacheOptions,
  JWKSEvent,
  JWKSSource,
  KeySelector,
  KeyStore,
  RefreshReason,
  RefreshStrategy,
  StoredJWKS,
} from './types.js'
