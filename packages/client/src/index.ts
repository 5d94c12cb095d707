export type { Fetch } from './authorized-fetch.js'
export { type Client, type ClientOptions, createClient } from './create-client.js'
export type { Duration } from './duration.js'
export {
  AuthenticationError,
  ClientClosedError,
  ClientConfigurationError,
  ClientError,
  type ClientErrorCode,
  type ClientErrorOptions,
  DiscoveryError,
  IssuerResponseError,
  IssuerUnavailableError,
  RefreshError,
} from './errors.js'
export type { ClientEvent } from './token-source.js'
export {
  createMemoryTokenStore,
  type MemoryTokenStoreOptions,
  type StoredTokens,
  type TokenStore,
} from './token-store.js'
