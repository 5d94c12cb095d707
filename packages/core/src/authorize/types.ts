import type { AuthError } from '../errors.js'
import type { Duration, JWTClaims, JWTHeader, Principal } from '../types.js'

/** What a provider sees: the verified token. */
export interface ProviderInput {
  claims: JWTClaims
  header: JWTHeader
  token: string
  issuer: string
}

/**
 * Maps a verified token to a list of values (permissions, groups, roles or scopes): sync from
 * claims, or async (a database, a directory, an HTTP service).
 */
export type Provider = (input: ProviderInput) => readonly string[] | Promise<readonly string[]>

/** A provider, or a claim name / dotted claim path as a shorthand (`'realm_access.roles'`). */
export type ProviderSpec = Provider | string

/** The principal fields providers fill. */
export type PrincipalField = 'scopes' | 'permissions' | 'groups' | 'roles'

/** Options of an async provider's cache and timeout. */
export interface AsyncProviderOptions {
  /** Cache results per subject (and issuer) this long. Default 60 s. */
  ttl?: Duration
  /** Bound on cached subjects (least recently used go first). Default 10 000. */
  max?: number
  /** Give up after this long with a 503-class `ProviderUnavailableError`. Default 2 s. */
  timeout?: Duration
  /** Milliseconds since the epoch, for TTLs; injected by tests. */
  clock?: () => number
}

/**
 * An extra claim check an issuer kind needs beyond `iss`/`aud`/`exp` (Cognito's `token_use`,
 * Entra's `tid`). Throws a `ClaimInvalidError` to reject the token.
 */
export type ClaimsValidator = (claims: JWTClaims, header: JWTHeader) => void

/**
 * Which provider fills which principal field, plus the checks an issuer kind needs. A preset
 * (`presets.keycloak({ clientId })`) is one of these; spread it to override a field. Fields left
 * out use the defaults: `scope`/`scp`, and the `permissions`, `groups` and `roles` claims.
 */
export interface ProvidersOptions {
  scopes?: ProviderSpec
  permissions?: ProviderSpec
  groups?: ProviderSpec
  roles?: ProviderSpec
  /** Run after the standard claim checks and before any provider; throws to reject the token. */
  validate?: ClaimsValidator
  /**
   * Claim that carries the audience when the token has no `aud`: Cognito access tokens name
   * their app client in `client_id` instead. The verifier compares it with `audience`.
   */
  audienceClaim?: string
}

/**
 * A custom check, sync or async; only `true` passes. Its `name` is reported when it fails, so
 * prefer named functions to inline arrows.
 */
export type Predicate<C extends JWTClaims = JWTClaims> = (
  principal: Principal<C>,
) => boolean | Promise<boolean>

/** All-of / any-of over one principal field. A plain array means all-of. */
export type Match =
  | readonly string[]
  | { readonly allOf?: readonly string[]; readonly anyOf?: readonly string[] }

/**
 * What a route needs. Plain data (besides predicates), so adapters can render it in docs and
 * error bodies. Every listed part must hold.
 */
export interface Requirement<C extends JWTClaims = JWTClaims> {
  scopes?: Match
  permissions?: Match
  groups?: Match
  roles?: Match
  /** Custom checks; all must return `true`. */
  predicates?: readonly Predicate<C>[]
  /** A permission that passes every check above (as ApoJWT's `admin_permission`). */
  adminPermission?: string
}

/** The authorization seam's answer. */
export type AuthorizeResult = { readonly ok: true } | { readonly ok: false; readonly error: AuthError }

/** One field of a requirement as data: the values needed, all of them and at least one of them. */
export interface MatchDescription {
  readonly allOf: readonly string[]
  readonly anyOf: readonly string[]
}

/** A requirement as JSON-safe data plus a one-line summary, for docs and error bodies. */
export interface RequirementDescription {
  readonly scopes?: MatchDescription
  readonly permissions?: MatchDescription
  readonly groups?: MatchDescription
  readonly roles?: MatchDescription
  /** Names of the custom predicates (`fn.name`, or `'anonymous'`). */
  readonly predicates?: readonly string[]
  readonly adminPermission?: string
  /** E.g. `scopes: orders:read; roles: any of admin, editor; predicate isOwner; or permission admin`. */
  readonly summary: string
}
