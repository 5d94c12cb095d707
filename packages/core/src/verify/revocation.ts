import { ConfigurationError, TokenRevokedError } from '../errors.js'
import type { JWTClaims } from '../types.js'

/** What a revocation source is shown of a token whose signature and claims already passed. */
export interface RevocationCheck {
  /** The verified claims (`jti`, `sub`, `client_id`, `iat`, …). */
  readonly claims: Readonly<JWTClaims>
  /** The verified `iss`. */
  readonly issuer: string
}

/**
 * A deny list the verifier consults after the signature and the claims passed and before the
 * principal is built (and on verified-token cache hits: every one, or with `version` only when
 * it changed). `@keygate/redis` provides one
 * shared by many processes; anything with `isRevoked` qualifies.
 *
 * Answer synchronously when you can (a `Set`/`Map` lookup in a local copy): a synchronous
 * source keeps cached tokens answerable without awaiting (`cachedPrincipal`), and costs the hot
 * path no promise. A source that throws an `AuthError` (say a 503 `UnavailableError` because it
 * cannot decide) makes that error the answer; anything else it throws is treated as a bug.
 *
 * @example
 * const revoked = new Set<string>()
 * const auth = createAuth({
 *   issuer: 'https://login.example.com',
 *   audience: 'https://api.example.com',
 *   revocation: { isRevoked: ({ claims }) => typeof claims.jti === 'string' && revoked.has(claims.jti) },
 * })
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1.7
 */
export interface RevocationSource {
  /** `true` when the token must be refused with `TokenRevokedError` (401, `ERR_TOKEN_REVOKED`). */
  isRevoked(token: RevocationCheck): boolean | Promise<boolean>
  /**
   * Optional: a number that changes whenever a revocation is added (it may change more often).
   * With it, a verified-token cache hit is re-checked only when the version differs from the one
   * read just before that token was last found not revoked — a hit then costs a comparison, not
   * a lookup. A source without it is asked on every hit. Entries that expire need no change: an
   * expired entry never turned "not revoked" into "revoked".
   */
  readonly version?: number
  /** Stops whatever keeps the source current. `auth.close()` does not call it: its creator does. */
  close?(): void | Promise<void>
}

/** Checks the `revocation` option once, at construction. */
export function resolveRevocation(value: unknown): RevocationSource | undefined {
  if (value === undefined) return undefined
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as RevocationSource).isRevoked !== 'function'
  ) {
    throw new ConfigurationError('revocation must be an object with an isRevoked(token) function')
  }
  return value as RevocationSource
}

/** The one error a revoked token gets, wherever it was noticed. */
export function revokedError(): TokenRevokedError {
  return new TokenRevokedError('The token has been revoked')
}
