export { createIssuer } from './create-issuer.js'
export { API_KEY_PREFIX, REFRESH_TOKEN_PREFIX } from './credential-format.js'
export {
  PERMISSIONS_HEADER as DECIDE_PERMISSIONS_HEADER,
  SUBJECT_HEADER as DECIDE_SUBJECT_HEADER,
} from './decide-endpoint.js'
export {
  fromWebRequest,
  type IssuerRequest,
  type IssuerRequestHead,
  type IssuerResponse,
  toWebResponse,
} from './exchange.js'
export type { InitialSigningKey } from './import-signing-key.js'
export type { JWThenticatorOptions } from './jwthenticator/options.js'
export { JWTHENTICATOR_REFRESH_PREFIX } from './jwthenticator/tokens.js'
export { createMemoryIssuerStore, type MemoryIssuerStore } from './memory-store.js'
export { createMemoryRateLimiter, type MemoryRateLimiterOptions, type RateLimiter } from './rate-limiter.js'
export type { IssuerRevocation, RevocationSink } from './revocation-sink.js'
export type {
  APIKeyListFilter,
  APIKeyRecord,
  ConsumeResult,
  IssuerStore,
  RefreshTokenRecord,
  SigningAlgorithm,
  SigningKeyChanges,
  SigningKeyRecord,
  SigningKeyRing,
  SigningKeyState,
} from './store.js'
export type {
  APIKeyInfo,
  APIKeys,
  CreateAPIKeyInput,
  CreateTokenInput,
  Issuer,
  IssuerEvent,
  IssuerOptions,
  RateLimitOptions,
  RefreshHookInput,
  RefreshHookResult,
  RefreshOptions,
  RefreshRotationOptions,
  RotateKeysOptions,
  SigningOptions,
  TokenSet,
} from './types.js'
