import { AlgorithmNotAllowedError, TokenMalformedError, TypeInvalidError } from '../errors.js'
import type { JWTHeader } from '../types.js'

/** What an issuer accepts in a protected header. */
export interface HeaderPolicy {
  /** Allowed `alg` values: never `none`, HS* only with a configured secret. */
  algorithms: ReadonlySet<string>
  /** Accepted `typ` values, normalised by `normalizeTyp`; `undefined` when not checked (`typ: false`). */
  typ: TypPolicy | undefined
}

/** Which `typ` headers an issuer accepts. */
export interface TypPolicy {
  /** Accepted values, normalised. */
  types: ReadonlySet<string>
  /** Whether a token without `typ` is accepted. */
  untyped: boolean
}

/**
 * Accepted by default: no `typ`, `JWT` (most providers' access tokens) and `at+jwt` (RFC 9068).
 * Tokens of other kinds — `logout+jwt`, `secevent+jwt`, `dpop+jwt`, ID tokens typed as such —
 * are signed by the same keys and carry the same `iss`/`aud`, so only their type tells them
 * apart from an access token (RFC 8725 §3.11: cross-JWT confusion).
 */
export const DEFAULT_TOKEN_TYPES: readonly (string | null)[] = Object.freeze([null, 'JWT', 'at+jwt'])

/**
 * `typ` compared as RFC 7515 §4.1.9 says: case-insensitively, with `application/` implied
 * when the value has no `/`.
 *
 * @example normalizeTyp('application/AT+JWT') // 'at+jwt'
 * @see https://www.rfc-editor.org/rfc/rfc8725#section-3.11
 */
export function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase()
  return lower.startsWith('application/') ? lower.slice(12) : lower
}

/**
 * Rejects `none` in any spelling before the issuer is even known (RFC 8725 §3.1): an unsigned
 * token is never accepted, whatever the configuration.
 */
export function rejectUnsigned(header: JWTHeader): void {
  const { alg } = header
  if (alg.length === 4 && alg.toLowerCase() === 'none') {
    throw new AlgorithmNotAllowedError('Unsigned tokens (alg "none") are never accepted')
  }
}

/**
 * Checks a header against the selected issuer: `alg` in its allowlist (RFC 8725 §3.1), no
 * `crit` extension (none is supported, so RFC 7515 §4.1.11 requires rejection), no unencoded
 * payload (`b64: false`, RFC 7797), a string `kid`, and an accepted `typ` (RFC 8725 §3.11).
 * `jku`, `x5u`, `jwk` and `x5c` are ignored on purpose: keys come only from the issuer's
 * configured source (RFC 8725 §3.10).
 *
 * @example checkHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }, policy)
 * @see https://www.rfc-editor.org/rfc/rfc8725#section-3.1
 */
export function checkHeader(header: JWTHeader, policy: HeaderPolicy): void {
  if (!policy.algorithms.has(header.alg)) {
    throw new AlgorithmNotAllowedError('The token algorithm is not allowed for this issuer')
  }
  if (header.crit !== undefined) throw new TokenMalformedError('The token uses a critical header extension')
  if (header.b64 !== undefined) throw new TokenMalformedError('Unencoded payloads (b64) are not supported')
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    throw new TokenMalformedError('The token "kid" header is not a string')
  }
  const typ = header.typ
  if (typ !== undefined && typeof typ !== 'string') {
    throw new TokenMalformedError('The token "typ" header is not a string')
  }
  const accepted = policy.typ
  if (accepted === undefined) return
  if (typ === undefined ? !accepted.untyped : !accepted.types.has(normalizeTyp(typ))) {
    throw new TypeInvalidError('The token "typ" header is not an accepted type')
  }
}
