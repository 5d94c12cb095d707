import type { ClaimsSchema } from '../authorize/claims-schema.js'
import type { ProvidersOptions } from '../authorize/types.js'
import type { JWKSCacheOptions, JWKSSource } from '../jwks/types.js'
import type {
  AuthResult,
  Duration,
  JWK,
  JWKS,
  JWTClaims,
  JWTHeader,
  OptionalAuthResult,
  Principal,
  RequestLike,
} from '../types.js'
import type { RevocationSource } from './revocation.js'

/** Asymmetric algorithms Keygate verifies (RFC 7518 §3, RFC 8037). */
export type AsymmetricAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'
/** HMAC algorithms: allowed only with an explicitly configured `secret`, never with a JWKS. */
export type HMACAlgorithm = 'HS256' | 'HS384' | 'HS512'
export type Algorithm = AsymmetricAlgorithm | HMACAlgorithm

/** One trusted issuer: where its keys are and what its tokens must look like. */
export interface IssuerConfig {
  /** Exact `iss` value (compared as a string, RFC 7519 §4.1.1). */
  issuer: string
  /** Accepted `aud` value(s); the token must name at least one. Required unless `audience: false` is set on purpose. */
  audience: string | readonly string[] | false
  /** JWKS URL; when absent it is discovered from the issuer's metadata. */
  jwksUri?: string
  /** A fixed key set (or a single key) instead of a URL: tests, pinned keys. */
  keys?: JWKS | JWK
  /** HMAC secret: the only way HS* algorithms are accepted. */
  secret?: string | Uint8Array
  /** Any other key source. */
  source?: JWKSSource
  /** Allowed algorithms for this issuer; defaults to the top-level list. */
  algorithms?: readonly Algorithm[]
  /**
   * Accepted `typ` headers (RFC 8725 §3.11), compared case-insensitively with the `application/`
   * prefix optional: one required type (`'at+jwt'`, RFC 9068 §2.1), a list where `null` accepts
   * a token without `typ`, or `false` for no check. Default `[null, 'JWT', 'at+jwt']`: tokens
   * typed as anything else (`logout+jwt`, `secevent+jwt`, `dpop+jwt`, …) are rejected.
   */
  typ?: string | readonly (string | null)[] | false
  /** Clock skew allowed on `exp`/`nbf`/`iat`. Default from the top level (60 s). */
  clockTolerance?: Duration
  /** Reject tokens whose `iat` is older than this. */
  maxTokenAge?: Duration
  /** Claims that must be present (beyond `iss`, `aud`, `exp`). */
  requiredClaims?: readonly string[]
  /** Require `exp`. Default true; turning it off is an explicit, visible choice. */
  requireExp?: boolean
  /** JWKS cache policy for this issuer; merged over the top-level `jwks`. */
  jwks?: JWKSCacheOptions
  /** Claim mapping to principal fields (authorize issue): presets or providers per issuer. */
  providers?: ProvidersOptions
}

/** Options of `createAuth`; `C` is the claims type, declared by a generic or inferred from `claims`. */
export interface AuthOptions<C extends JWTClaims = JWTClaims>
  extends Partial<Omit<IssuerConfig, 'issuer' | 'audience'>> {
  /** Runtime shape of custom claims (a type guard or a Standard Schema); types `principal.claims`. */
  claims?: ClaimsSchema<C>
  /** Trusted issuers; the token's unverified `iss` selects one. */
  issuers?: readonly IssuerConfig[]
  /** Single-issuer shorthand. */
  issuer?: string
  audience?: IssuerConfig['audience']
  /** Default algorithm allowlist. Default `['RS256', 'ES256', 'EdDSA']`. */
  algorithms?: readonly Algorithm[]
  /** Optional verified-token cache: keyed by the whole token, capped at `exp`. */
  tokenCache?: { max?: number; ttl?: Duration } | false
  /** Largest token accepted, in bytes, checked before anything else. Default 8 KiB. */
  maxTokenBytes?: number
  /** Injected clock (ms since epoch) for claim checks and caches. */
  clock?: () => number
  /** Injected fetch for JWKS and discovery. */
  fetch?: typeof fetch
  /**
   * Deny list checked after the signature and claims, before the principal is built, and on
   * every token-cache hit: a revoked token gets `TokenRevokedError` (401). See `RevocationSource`.
   */
  revocation?: RevocationSource
}

/** Per-call options of `authenticate`. */
export interface AuthenticateOptions {
  /** Custom token finder (cookie, other header); replaces bearer extraction when given. */
  getToken?: (request: RequestLike) => string | undefined | null | Promise<string | undefined | null>
  /** Accept `?access_token=` (RFC 6750 §2.3). Default false. */
  allowQuery?: boolean
  /**
   * Let a request that sent no token at all through as anonymous (`principal: null`). A bad
   * token is still rejected: a token that fails is never treated as no token.
   */
  optional?: boolean
}

/** A verified token, before providers turn it into a principal. */
export interface VerifiedToken {
  header: JWTHeader
  claims: JWTClaims
  token: string
  issuer: string
}

/** The object `createAuth` returns. */
export interface Auth<C extends JWTClaims = JWTClaims> {
  /** Verifies a compact JWS and builds the principal; throws an `AuthError`. */
  verify(token: string): Promise<Principal<C>>
  /** Extracts and verifies the request's token; never throws for a client's mistake. */
  authenticate(
    request: RequestLike,
    options?: AuthenticateOptions & { optional?: false },
  ): Promise<AuthResult<C>>
  /** With `optional: true`, a request without any token is anonymous (`principal: null`). */
  authenticate(
    request: RequestLike,
    options: AuthenticateOptions & { optional: true },
  ): Promise<OptionalAuthResult<C>>
  authenticate(request: RequestLike, options?: AuthenticateOptions): Promise<OptionalAuthResult<C>>
  /**
   * The principal `authenticate(request, options)` would give, at once, when the request's
   * `Authorization: Bearer <token>` is in the token cache; `undefined` whenever `authenticate`
   * is needed (no cache, not cached, expired, anything unusual about the header, or options
   * that find the token elsewhere: `getToken`, `allowQuery`). For adapters that can answer a
   * cached request without awaiting.
   */
  cachedPrincipal(request: RequestLike, options?: AuthenticateOptions): Principal<C> | undefined
  /** Stops background JWKS refreshes. */
  close(): void
}
