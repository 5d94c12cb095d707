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
