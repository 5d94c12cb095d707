/**
 * Shapes shared by every layer of core. Kept in one file so that jwks/, verify/, authorize/
 * and issue/ agree on them without importing one another.
 */
import type { AuthError } from './errors.js'

/** A duration: milliseconds as a number, or a string such as `'500ms'`, `'30s'`, `'10m'`, `'2h'`, `'30d'`. */
export type Duration = number | string

/** The protected header of a JWS, as parsed (unknown members kept, never trusted). */
export interface JWTHeader {
  alg: string
  kid?: string
  typ?: string
  [name: string]: unknown
}

/** Registered claims (RFC 7519 §4.1) plus whatever else the token carries. */
export interface JWTClaims {
  iss?: string
  sub?: string
  aud?: string | string[]
  exp?: number
  nbf?: number
  iat?: number
  jti?: string
  scope?: string
  scp?: string | string[]
  [name: string]: unknown
}

/** A JSON Web Key as published in a JWKS (RFC 7517). */
export interface JWK {
  kty: string
  kid?: string
  alg?: string
  use?: string
  key_ops?: string[]
  crv?: string
  n?: string
  e?: string
  x?: string
  y?: string
  k?: string
  [name: string]: unknown
}

/** A JWK Set document (RFC 7517 §5). */
export interface JWKS {
  keys: JWK[]
}

/**
 * The authenticated caller: what adapters put on `req.auth` / `c.var.auth`.
 * `C` types `claims` when the application declares its custom claims.
 */
export interface Principal<C extends JWTClaims = JWTClaims> {
  /** `sub`, when the token has one. */
  readonly subject: string | undefined
  /** The verified `iss`. */
  readonly issuer: string
  /** Every verified claim; registered claims stay typed when `C` comes from a schema's output. */
  readonly claims: Readonly<JWTClaims & C>
  /** The verified protected header. */
  readonly header: Readonly<JWTHeader>
  /** The raw token, for forwarding to downstream services. Never logged by Keygate. */
  readonly token: string
  /** From `scope` (space-delimited, RFC 8693 §4.2) or `scp` (array or string), or a provider. */
  readonly scopes: readonly string[]
  /** Filled by the permissions provider (`permissions` claim by default). */
  readonly permissions: readonly string[]
  /** Filled by the groups provider. */
  readonly groups: readonly string[]
  /** Filled by the roles provider. */
  readonly roles: readonly string[]
}

/** Anything with `headers.get(name)`: a Web `Request`, or a shim over Node's headers. */
export interface RequestLike {
  readonly headers: { get(name: string): string | null }
  /** Used only when query-string tokens are explicitly allowed (RFC 6750 §2.3). */
  readonly url?: string
}

/** The middleware seam's answer: never throws for a client's mistake. */
export type AuthResult<C extends JWTClaims = JWTClaims> =
  | { readonly ok: true; readonly principal: Principal<C> }
  | { readonly ok: false; readonly error: AuthError }

/**
 * The answer of `authenticate(request, { optional: true })`: a request that sent no token at
 * all passes as anonymous (`principal: null`); a bad token is still an error, never anonymous.
 */
export type OptionalAuthResult<C extends JWTClaims = JWTClaims> =
  | { readonly ok: true; readonly principal: Principal<C> | null }
  | { readonly ok: false; readonly error: AuthError }

/** Milliseconds since the epoch; injected so tests drive time without sleeping. */
export type Clock = () => number
