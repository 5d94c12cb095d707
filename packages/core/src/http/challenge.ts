import { type AuthError, InsufficientScopeError } from '../errors.js'

/** Options shared by challenge and response helpers. */
export interface ChallengeOptions {
  /** `realm` of the challenge (RFC 6750 §3). */
  realm?: string
  /** Include `error_description`. Default true; descriptions never contain tokens. */
  describe?: boolean
}

/**
 * Builds the `WWW-Authenticate` value for an error (RFC 6750 §3): no `error` attribute when
 * no token was sent, `error="invalid_token"` for a bad one, `insufficient_scope` with the
 * needed `scope` for a 403.
 *
 * @example bearerChallenge(new TokenMissingError(), { realm: 'api' }) // 'Bearer realm="api"'
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function bearerChallenge(error: AuthError, options: ChallengeOptions = {}): string {
  const params: string[] = []
  if (options.realm !== undefined) params.push(`realm=${quote(options.realm)}`)
  if (error.oauthError !== undefined) {
    params.push(`error=${quote(error.oauthError)}`)
    if (options.describe !== false) params.push(`error_description=${quote(error.message)}`)
  }
  if (error instanceof InsufficientScopeError && error.missing.scopes && error.missing.scopes.length > 0) {
    params.push(`scope=${quote(error.missing.scopes.join(' '))}`)
  }
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`
}

// RFC 6750 §3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E — no quotes, no
// backslashes, no control or non-ASCII characters, so a value can never break the header.
function quote(value: string): string {
  return `"${value.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '')}"`
}
