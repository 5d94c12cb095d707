/**
 * Keygate's errors: one `AuthError` base with a stable `code`, an HTTP `status` and the OAuth
 * error name, and one class per condition. Adapters map any of them to a response with
 * `httpError()` from `@keygate/core/http`; applications `switch` on `code`.
 *
 * Errors never contain the token (RFC 8725 §3.11 spirit: tokens are credentials), nor secrets.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3.1 (bearer error codes)
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (token endpoint error codes)
 */

/** Every code a Keygate error can carry; stable across versions, safe to `switch` on. */
export type AuthErrorCode =
  | 'ERR_INVALID_REQUEST'
  | 'ERR_TOKEN_MISSING'
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_TOKEN_TOO_OLD'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_ALGORITHM_NOT_ALLOWED'
  | 'ERR_ISSUER_UNTRUSTED'
  | 'ERR_AUDIENCE_INVALID'
  | 'ERR_TYPE_INVALID'
  | 'ERR_CLAIM_INVALID'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_SIGNATURE_INVALID'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_CROSS_SITE_REQUEST'
  | 'ERR_KEYS_UNAVAILABLE'
  | 'ERR_PROVIDER_UNAVAILABLE'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_INVALID_CLIENT'
  | 'ERR_INVALID_GRANT'
  | 'ERR_UNSUPPORTED_GRANT_TYPE'
  | 'ERR_UNSUPPORTED_TOKEN_TYPE'
  | 'ERR_INVALID_SCOPE'
  | 'ERR_RATE_LIMITED'
  | 'ERR_NOT_FOUND'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_CONFIGURATION'

/**
 * The OAuth error name that goes into `WWW-Authenticate: Bearer error="…"` or a token
 * endpoint's JSON body. `undefined` when the request carried no credentials at all:
 * RFC 6750 §3.1 says the challenge then has no `error` attribute.
 */
export type OAuthErrorName =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_token_type'
  | 'invalid_scope'
  | 'temporarily_unavailable'
  | 'server_error'
  | 'slow_down'

const BRAND = Symbol.for('keygate.AuthError')

export interface AuthErrorOptions {
  cause?: unknown
}

/**
 * Base class of every error Keygate reports. Recognised across duplicate package copies by
 * a global symbol brand, so `AuthError.is(e)` works where `instanceof` would not.
 */
export abstract class AuthError extends Error {
  abstract readonly code: AuthErrorCode
  /** HTTP status an adapter should answer with. */
  abstract readonly status: number
  /** OAuth error name for challenges and token-endpoint bodies. */
  abstract readonly oauthError: OAuthErrorName | undefined

  constructor(message: string, options?: AuthErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    Object.defineProperty(this, BRAND, { value: true })
  }

  /** True for any Keygate error, even one created by another copy of this package. */
  static is(value: unknown): value is AuthError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }
}

/** 400 — the request itself is malformed (two tokens, a token in two places, a bad body). */
export class InvalidRequestError extends AuthError {
  readonly code = 'ERR_INVALID_REQUEST' as const
  readonly status = 400
  readonly oauthError = 'invalid_request' as const
}

/** 401 without `error=` — no credentials were sent (RFC 6750 §3.1). */
export class TokenMissingError extends AuthError {
  readonly code = 'ERR_TOKEN_MISSING' as const
  readonly status = 401
  readonly oauthError = undefined
  constructor(message = 'No bearer token was sent', options?: AuthErrorOptions) {
    super(message, options)
  }
}

/** Base of every 401 `invalid_token` condition. */
export abstract class InvalidTokenError extends AuthError {
  readonly status = 401
  readonly oauthError = 'invalid_token' as const
}

/** 401 — not a compact JWS: wrong segment count, bad base64url, bad JSON, oversized. */
export class TokenMalformedError extends InvalidTokenError {
  readonly code = 'ERR_TOKEN_MALFORMED' as const
}

/** 401 — `exp` is in the past (beyond the clock tolerance). */
export class TokenExpiredError extends InvalidTokenError {
  readonly code = 'ERR_TOKEN_EXPIRED' as const
}

/** 401 — `nbf` or `iat` is in the future (beyond the clock tolerance). */
export class TokenNotYetValidError extends InvalidTokenError {
  readonly code = 'ERR_TOKEN_NOT_YET_VALID' as const
}

/** 401 — `iat` is older than the configured maximum token age. */
export class TokenTooOldError extends InvalidTokenError {
  readonly code = 'ERR_TOKEN_TOO_OLD' as const
}

/** 401 — the token (or the credential it came from) was revoked. */
export class TokenRevokedError extends InvalidTokenError {
  readonly code = 'ERR_TOKEN_REVOKED' as const
}

/** 401 — `alg` is not in the allowlist (`none`, HMAC with a JWKS, …). RFC 8725 §3.1. */
export class AlgorithmNotAllowedError extends InvalidTokenError {
  readonly code = 'ERR_ALGORITHM_NOT_ALLOWED' as const
}

/** 401 — `iss` is missing or not one of the configured issuers. */
export class IssuerUntrustedError extends InvalidTokenError {
  readonly code = 'ERR_ISSUER_UNTRUSTED' as const
}

/** 401 — `aud` is missing or names none of the configured audiences. */
export class AudienceInvalidError extends InvalidTokenError {
  readonly code = 'ERR_AUDIENCE_INVALID' as const
}

/** 401 — the `typ` header is not the required one (e.g. `at+jwt`, RFC 9068 §4). */
export class TypeInvalidError extends InvalidTokenError {
  readonly code = 'ERR_TYPE_INVALID' as const
}

/** 401 — a required claim is missing or has the wrong type or value. */
export class ClaimInvalidError extends InvalidTokenError {
  readonly code = 'ERR_CLAIM_INVALID' as const
  constructor(
    message: string,
    /** Name of the offending claim. */
    readonly claim: string,
    options?: AuthErrorOptions,
  ) {
    super(message, options)
  }
}

/** 401 — no key in the issuer's JWKS matches the token's `kid`/`alg`, even after a refetch. */
export class KeyNotFoundError extends InvalidTokenError {
  readonly code = 'ERR_KEY_NOT_FOUND' as const
}

/** 401 — the signature does not verify. */
export class SignatureInvalidError extends InvalidTokenError {
  readonly code = 'ERR_SIGNATURE_INVALID' as const
}

/** The data shape of a requirement that failed, so adapters can render it. */
export interface MissingRequirement {
  scopes?: readonly string[]
  permissions?: readonly string[]
  groups?: readonly string[]
  roles?: readonly string[]
  /** Name of a custom predicate that returned false. */
  predicate?: string
}

/** 403 — authenticated, but a requirement is not met. The challenge names what was needed. */
export class InsufficientScopeError extends AuthError {
  readonly code = 'ERR_INSUFFICIENT_SCOPE' as const
  readonly status = 403
  readonly oauthError = 'insufficient_scope' as const
  constructor(
    message: string,
    /** What the principal lacked; `scopes` goes into the challenge's `scope=` (RFC 6750 §3). */
    readonly missing: MissingRequirement = {},
    options?: AuthErrorOptions,
  ) {
    super(message, options)
  }
}

/**
 * 403 — a cookie-authenticated request that may come from another site: its `Origin` is not
 * allowed, or it is a "simple" request (no `Content-Type: application/json`, no custom header)
 * that a foreign page can send without a CORS preflight. Browser sessions refuse these so a
 * cookie the browser attaches on its own cannot be used by a page the user happens to visit.
 *
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
 */
export class CrossSiteRequestError extends AuthError {
  readonly code = 'ERR_CROSS_SITE_REQUEST' as const
  readonly status = 403
  readonly oauthError = 'invalid_request' as const
}

/** Base of conditions where a dependency, not the client, failed: 503 + `Retry-After`. */
export abstract class UnavailableError extends AuthError {
  readonly status = 503
  readonly oauthError = 'temporarily_unavailable' as const
  constructor(
    message: string,
    /** Seconds a client should wait before retrying. */
    readonly retryAfter: number,
    options?: AuthErrorOptions,
  ) {
    super(message, options)
  }
}

/** 503 — the issuer's keys cannot be had (JWKS down beyond max-stale). Never a 401. */
export class KeysUnavailableError extends UnavailableError {
  readonly code = 'ERR_KEYS_UNAVAILABLE' as const
}

/** 503 — an authorization provider failed or timed out; never a silent empty list. */
export class ProviderUnavailableError extends UnavailableError {
  readonly code = 'ERR_PROVIDER_UNAVAILABLE' as const
}

/**
 * 503 — the issuer's store (a database) cannot be reached. Stores throw it for connection-level
 * failures so the issuer answers 503 with `Retry-After` instead of a 500 or a misleading 401.
 */
export class StoreUnavailableError extends UnavailableError {
  readonly code = 'ERR_STORE_UNAVAILABLE' as const
}

/** 401 — token endpoint: unknown, malformed, expired or revoked client credentials (RFC 6749 §5.2). */
export class InvalidClientError extends AuthError {
  readonly code = 'ERR_INVALID_CLIENT' as const
  readonly status = 401
  readonly oauthError = 'invalid_client' as const
}

/** 400 — token endpoint: the refresh token is invalid, expired, revoked or reused (RFC 6749 §5.2). */
export class InvalidGrantError extends AuthError {
  readonly code = 'ERR_INVALID_GRANT' as const
  readonly status = 400
  readonly oauthError = 'invalid_grant' as const
}

/** 400 — token endpoint: a `grant_type` this issuer does not support. */
export class UnsupportedGrantTypeError extends AuthError {
  readonly code = 'ERR_UNSUPPORTED_GRANT_TYPE' as const
  readonly status = 400
  readonly oauthError = 'unsupported_grant_type' as const
}

/**
 * 400 — revocation endpoint: a token of a type this server cannot revoke (RFC 7009 §2.2.1). An
 * access token is a self-contained JWT: answering 200 would claim a revocation that did not
 * happen while the token stays valid until `exp`.
 */
export class UnsupportedTokenTypeError extends AuthError {
  readonly code = 'ERR_UNSUPPORTED_TOKEN_TYPE' as const
  readonly status = 400
  readonly oauthError = 'unsupported_token_type' as const
}

/** 400 — token endpoint: a requested scope exceeds what the credential grants. */
export class InvalidScopeError extends AuthError {
  readonly code = 'ERR_INVALID_SCOPE' as const
  readonly status = 400
  readonly oauthError = 'invalid_scope' as const
}

/** 429 — too many failed attempts; `retryAfter` seconds until the next one is allowed. */
export class RateLimitedError extends AuthError {
  readonly code = 'ERR_RATE_LIMITED' as const
  readonly status = 429
  readonly oauthError = 'slow_down' as const
  constructor(
    message: string,
    readonly retryAfter: number,
    options?: AuthErrorOptions,
  ) {
    super(message, options)
  }
}

/** 404 — an issuer route that does not exist. */
export class NotFoundError extends AuthError {
  readonly code = 'ERR_NOT_FOUND' as const
  readonly status = 404
  readonly oauthError = 'invalid_request' as const
}

/** 405 — an issuer route called with the wrong method; `allow` lists the right ones. */
export class MethodNotAllowedError extends AuthError {
  readonly code = 'ERR_METHOD_NOT_ALLOWED' as const
  readonly status = 405
  readonly oauthError = 'invalid_request' as const
  constructor(
    message: string,
    readonly allow: readonly string[],
    options?: AuthErrorOptions,
  ) {
    super(message, options)
  }
}

/**
 * 500 — Keygate was configured wrongly (thrown at construction, or when an adapter's
 * `getAuth` runs before `authenticate`). A bug to fix, not a client's mistake.
 */
export class ConfigurationError extends AuthError {
  readonly code = 'ERR_CONFIGURATION' as const
  readonly status = 500
  readonly oauthError = 'server_error' as const
}
