export type {
  JWKSCacheOptions,
  JWKSEvent,
  JWKSSource,
  KeySelector,
  KeyStore,
  RefreshStrategy,
  StoredJWKS,
} from './types.js'
