/**
 * The client's errors: one `ClientError` base with a stable `code`, one class per condition.
 * Applications `switch` on `code`. No error ever contains the API key, a refresh token or an
 * access token: messages name what failed, and the issuer's own OAuth error name is kept apart.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.2 (token endpoint error codes)
 */

/** Every code a client error can carry; stable across versions, safe to `switch` on. */
export type ClientErrorCode =
  | 'ERR_KEY_REJECTED'
  | 'ERR_REFRESH_REJECTED'
  | 'ERR_ISSUER_UNAVAILABLE'
  | 'ERR_ISSUER_RESPONSE'
  | 'ERR_DISCOVERY'
  | 'ERR_CLIENT_CLOSED'
  | 'ERR_CLIENT_CONFIGURATION'

const BRAND = Symbol.for('keygate.ClientError')

export interface ClientErrorOptions {
  cause?: unknown
  /** HTTP status the issuer answered with, when it answered. */
  status?: number
  /** The OAuth `error` the issuer sent (`invalid_client`, `invalid_grant`, …), when it sent one. */
  oauthError?: string
  /** Milliseconds before this client asks the issuer again (backoff, or the issuer's `Retry-After`). */
  retryAfterMs?: number
}

/**
 * Base class of every error `@keygate/client` reports. Recognised across duplicate package
 * copies by a global symbol brand, so `ClientError.is(e)` works where `instanceof` would not.
 */
export abstract class ClientError extends Error {
  abstract readonly code: ClientErrorCode
  readonly status: number | undefined
  readonly oauthError: string | undefined
  /** Milliseconds before this client asks the issuer again; `undefined` when it may at once. */
  readonly retryAfterMs: number | undefined

  constructor(message: string, options: ClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.status = options.status
    this.oauthError = options.oauthError
    this.retryAfterMs = options.retryAfterMs
    Object.defineProperty(this, BRAND, { value: true })
  }

  /** True for any client error, even one created by another copy of this package. */
  static is(value: unknown): value is ClientError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }
}

/** The issuer refused the API key (unknown, revoked, expired, or a scope it does not grant). */
export class AuthenticationError extends ClientError {
  readonly code = 'ERR_KEY_REJECTED' as const
}

/** The refresh token was refused and there is no API key to fall back to. */
export class RefreshError extends ClientError {
  readonly code = 'ERR_REFRESH_REJECTED' as const
}

/** The issuer could not be reached, timed out, answered 5xx, or asked to slow down (429). */
export class IssuerUnavailableError extends ClientError {
  readonly code = 'ERR_ISSUER_UNAVAILABLE' as const
}

/** The issuer answered 200 with something that is not a usable token response. */
export class IssuerResponseError extends ClientError {
  readonly code = 'ERR_ISSUER_RESPONSE' as const
}

/**
 * The issuer's RFC 8414 metadata could not be had, has no `token_endpoint`, or names another
 * issuer (RFC 8414 §3.3: a mismatch may be an attacker's metadata).
 */
export class DiscoveryError extends ClientError {
  readonly code = 'ERR_DISCOVERY' as const
}

/** `client.close()` was called; the client makes no more requests. */
export class ClientClosedError extends ClientError {
  readonly code = 'ERR_CLIENT_CLOSED' as const
}

/** Bad options, thrown by `createClient` — never per request. */
export class ClientConfigurationError extends ClientError {
  readonly code = 'ERR_CLIENT_CONFIGURATION' as const
}

/** The same error again, with the wait still ahead: what callers get while the client backs off. */
export function withRetryAfter(error: ClientError, retryAfterMs: number): ClientError {
  const Class = error.constructor as new (message: string, options: ClientErrorOptions) => ClientError
  return new Class(error.message, {
    cause: error.cause,
    status: error.status,
    oauthError: error.oauthError,
    retryAfterMs,
  })
}
