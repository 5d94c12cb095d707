export * from './authorize/index.js'
export { toMs } from './duration.js'
export * from './errors.js'
export * from './issue/index.js'
export * from './jwks/index.js'
export type {
  AuthResult,
  Clock,
  Duration,
  JWK,
  JWKS,
  JWTClaims,
  JWTHeader,
  OptionalAuthResult,
  Principal,
  RequestLike,
} from './types.js'
export * from './verify/index.js'
