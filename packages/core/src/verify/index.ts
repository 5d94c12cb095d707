export { createAuth } from './create-auth.js'
export { DEFAULT_TOKEN_TYPES } from './header.js'
export { DEFAULT_ALGORITHMS, DEFAULT_CLOCK_TOLERANCE_MS, DEFAULT_MAX_TOKEN_BYTES } from './resolve-options.js'
export type { RevocationCheck, RevocationSource } from './revocation.js'
export type {
  Algorithm,
  AsymmetricAlgorithm,
  Auth,
  AuthenticateOptions,
  AuthOptions,
  HMACAlgorithm,
  IssuerConfig,
  VerifiedToken,
} from './types.js'
