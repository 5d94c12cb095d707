import {
  AudienceInvalidError,
  ClaimInvalidError,
  TokenExpiredError,
  TokenNotYetValidError,
  TokenTooOldError,
} from '../errors.js'
import type { JWTClaims } from '../types.js'

/** What an issuer requires of a claim set; durations already in milliseconds. */
export interface ClaimPolicy {
  /** Accepted audiences; `undefined` when the issuer opted out with `audience: false`. */
  audiences: readonly string[] | undefined
  /** Claim that names the audience when `aud` is absent (Cognito's `client_id`); from the providers. */
  audienceClaim?: string | undefined
  toleranceMs: number
  maxAgeMs: number | undefined
  requireExp: boolean
  requiredClaims: readonly string[]
}

function invalid(claim: string, what: string): ClaimInvalidError {
  return new ClaimInvalidError(`The "${claim}" claim ${what}`, claim)
}

// RFC 7519 §2: NumericDate is a finite JSON number (seconds); strings such as "1700000000" are
// not. Finite is checked here too, not only by the strict parser: claims may reach this check
// from elsewhere (a cache, a custom decoder), and `Infinity` would never expire.
function numericDate(claims: JWTClaims, claim: 'exp' | 'nbf' | 'iat'): number | undefined {
  const value = claims[claim]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(claim, 'is not a NumericDate')
  return value
}

// RFC 7519 §4.1.3: `aud` is one StringOrURI or an array of them. Anything else is a malformed
// claim whether or not our audience appears in it: `["api", {"x":1}]` is not a token two
// parties read the same way.
function isAudience(aud: unknown): boolean {
  if (typeof aud === 'string') return true
  if (!Array.isArray(aud)) return false
  for (let i = 0; i < aud.length; i++) if (typeof aud[i] !== 'string') return false
  return true
}

function checkAudience(aud: unknown, audiences: readonly string[]): void {
  if (typeof aud === 'string') {
    if (audiences.includes(aud)) return
  } else if (Array.isArray(aud)) {
    for (const value of aud) if (audiences.includes(value as string)) return
  }
  throw new AudienceInvalidError('The token is not meant for this audience')
}

/**
 * Checks a claim set (RFC 7519 §4.1, RFC 8725 §3.9): `aud` names a configured audience, `exp`
 * is a number in the future (required by default), `nbf`/`iat` are numbers not in the future,
 * `iat` is recent enough when a maximum age is set, required claims are present, `sub`/`jti`
 * are strings and `aud` a string or an array of strings, and NumericDates are finite numbers. Clock skew is allowed both ways. `iss` was matched when the issuer was chosen.
 *
 * @example checkClaims(claims, policy, Date.now())
 * @see https://www.rfc-editor.org/rfc/rfc7519#section-4.1
 */
export function checkClaims(claims: JWTClaims, policy: ClaimPolicy, now: number): void {
  const tolerance = policy.toleranceMs
  if (claims.aud !== undefined && !isAudience(claims.aud)) {
    throw invalid('aud', 'is not a string or an array of strings')
  }
  const exp = numericDate(claims, 'exp')
  if (exp === undefined) {
    if (policy.requireExp) throw invalid('exp', 'is required')
  } else if (now >= exp * 1000 + tolerance) {
    throw new TokenExpiredError('The token has expired')
  }
  const nbf = numericDate(claims, 'nbf')
  if (nbf !== undefined && nbf * 1000 > now + tolerance)
    throw new TokenNotYetValidError('The token is not valid yet')
  const iat = numericDate(claims, 'iat')
  if (iat !== undefined && iat * 1000 > now + tolerance) {
    throw new TokenNotYetValidError('The token was issued in the future')
  }
  if (policy.maxAgeMs !== undefined) {
    if (iat === undefined) throw invalid('iat', 'is required to enforce the maximum token age')
    if (now - iat * 1000 > policy.maxAgeMs + tolerance) throw new TokenTooOldError('The token is too old')
  }
  if (policy.audiences !== undefined) {
    const aud =
      claims.aud === undefined && policy.audienceClaim !== undefined
        ? claims[policy.audienceClaim]
        : claims.aud
    checkAudience(aud, policy.audiences)
  }
  if (claims.sub !== undefined && typeof claims.sub !== 'string') throw invalid('sub', 'is not a string')
  if (claims.jti !== undefined && typeof claims.jti !== 'string') throw invalid('jti', 'is not a string')
  for (const name of policy.requiredClaims) {
    if (claims[name] === undefined) throw invalid(name, 'is required')
  }
}
