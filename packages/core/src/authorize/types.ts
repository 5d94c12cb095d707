import type { AuthError } from '../errors.js'
import type { Duration, JWTClaims, JWTHeader, Principal } from '../types.js'

/** What a provider sees: the verified token. */
export interface ProviderInput {
  claims: JWTClaims
  header: JWTHeader
  token: string
  issuer: string
}

/** Maps a verified token to a list of values (permissions, groups, roles or scopes). */
export type Provider = (input: ProviderInput) => readonly string[] | Promise<readonly string[]>

/** Options of an async provider's cache and timeout. */
export interface AsyncProviderOptions {
  /** Cache results per subject (and issuer) this long. Default 60 s. */
  ttl?: Duration
  /** Bound on cached subjects. Default 10 000. */
  max?: number
  /** Give up after this long with a 503-class `ProviderUnavailableError`. Default 2 s. */
  timeout?: Duration
  clock?: () => number
}

/** Which provider fills which principal field; a claim name/path string is a shorthand. */
export interface ProvidersOptions {
  scopes?: Provider | string
  permissions?: Provider | string
  groups?: Provider | string
  roles?: Provider | string
}

/** A custom check, sync or async; its `name` is reported when it fails. */
export type Predicate = (principal: Principal) => boolean | Promise<boolean>

/** All-of / any-of over one principal field. A plain array means all-of. */
export type Match = readonly string[] | { allOf?: readonly string[]; anyOf?: readonly string[] }

/**
 * What a route needs. Plain data (besides predicates), so adapters can render it in docs and
 * error bodies. Every listed part must hold.
 */
export interface Requirement {
  scopes?: Match
  permissions?: Match
  groups?: Match
  roles?: Match
  /** Custom checks; all must return true. */
  predicates?: readonly Predicate[]
  /** A permission that passes every check above (as ApoJWT's `admin_permission`). */
  adminPermission?: string
}

/** The authorization seam's answer. */
export type AuthorizeResult = { readonly ok: true } | { readonly ok: false; readonly error: AuthError }
