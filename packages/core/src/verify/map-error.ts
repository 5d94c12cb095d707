import { AuthError, KeyNotFoundError, KeysUnavailableError, SignatureInvalidError } from '../errors.js'

/** Where a foreign error came from: the key source, importing a key, or checking a signature. */
export type CryptoPhase = 'source' | 'import' | 'verify'

// A custom source that failed without saying when to retry: about one JWKS cooldown.
const DEFAULT_RETRY_AFTER_SECONDS = 30

const JOSE_KEY_NOT_FOUND = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS'])

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined
}

/**
 * The one place where errors Keygate did not create — jose's (from a custom source), the
 * `TypeError`s and `DOMException`s node:crypto and WebCrypto throw for odd keys or signatures,
 * a custom source's network failures — become Keygate errors. Keygate errors pass through.
 * The original is kept as `cause`; none of them contains the token.
 *
 * @example throw toAuthError(error, 'import')
 */
export function toAuthError(error: unknown, phase: CryptoPhase): AuthError {
  if (AuthError.is(error)) return error
  const code = codeOf(error)
  if (phase === 'source') {
    if (typeof code === 'string' && JOSE_KEY_NOT_FOUND.has(code)) {
      return new KeyNotFoundError('No key of the issuer matches the token', { cause: error })
    }
    // Anything else (timeouts, network errors) is an outage: 503, never a 401.
    return new KeysUnavailableError('The issuer keys cannot be obtained', DEFAULT_RETRY_AFTER_SECONDS, {
      cause: error,
    })
  }
  if (phase === 'import')
    return new KeyNotFoundError('The issuer key cannot verify this algorithm', { cause: error })
  return new SignatureInvalidError('The token signature cannot be verified', { cause: error })
}
