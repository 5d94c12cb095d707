import { InvalidRequestError } from '../errors.js'
import type { RequestLike } from '../types.js'

/** Options of `extractBearerToken`. */
export interface BearerOptions {
  /**
   * Accept `?access_token=` (RFC 6750 §2.3). Off by default: tokens in URLs end up in logs,
   * browser history and `Referer` headers (RFC 6750 §5.3).
   */
  allowQuery?: boolean
}

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
const BEARER = /^bearer(?:\s+(.*))?$/is
// What nearly every client sends: `Bearer`, one space, one b64token. Checked in one pass; when it
// matches, the general rules below would return the same token, so they are skipped.
const CANONICAL = /^Bearer [A-Za-z0-9\-._~+/]+=*$/

/**
 * Finds the bearer token of a request (RFC 6750 §2): `Authorization: Bearer <token>` with a
 * case-insensitive scheme, exactly one token, and — only when allowed — `?access_token=`.
 * Returns `undefined` when no bearer credentials were sent (the caller answers 401 without
 * `error=`); throws `InvalidRequestError` (400) for a malformed header, an empty bearer, two
 * tokens, or a token sent in two places.
 *
 * @example
 * const token = extractBearerToken(new Request('http://x', { headers: { authorization: 'Bearer abc' } }))
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-2
 */
export function extractBearerToken(request: RequestLike, options: BearerOptions = {}): string | undefined {
  return bearerTokenOf(request.headers.get('authorization'), request, options)
}

/** `extractBearerToken` with the `Authorization` value already read (internal to core). */
export function bearerTokenOf(
  authorization: string | null,
  request: RequestLike,
  options: BearerOptions,
): string | undefined {
  const fromHeader = fromAuthorization(authorization)
  const fromQuery = options.allowQuery ? fromUrl(request.url) : undefined
  if (fromHeader !== undefined && fromQuery !== undefined) {
    // RFC 6750 §2: clients MUST NOT use more than one method to transmit the token.
    throw new InvalidRequestError('The access token was sent by more than one method')
  }
  return fromHeader ?? fromQuery
}

function fromAuthorization(value: string | null): string | undefined {
  if (value === null) return undefined
  if (CANONICAL.test(value)) return value.slice(7)
  const trimmed = value.trim()
  if (trimmed === '') return undefined
  // Two Authorization headers arrive joined by ", " (RFC 9110 §5.3); a comma never occurs in
  // a b64token, so any comma means more than one credential.
  if (trimmed.includes(',')) throw new InvalidRequestError('More than one Authorization credential was sent')
  const match = BEARER.exec(trimmed)
  // Another scheme (Basic, Digest…) is not a bearer credential: answered as "no token".
  if (!match) return undefined
  const token = match[1]?.trim() ?? ''
  if (token === '') throw new InvalidRequestError('The Bearer credential is empty')
  if (!B64TOKEN.test(token)) throw new InvalidRequestError('The Bearer credential is not a single b64token')
  return token
}

function fromUrl(url: string | undefined): string | undefined {
  if (!url) return undefined
  let params: URLSearchParams
  try {
    params = new URL(url, 'http://localhost').searchParams
  } catch {
    return undefined
  }
  const all = params.getAll('access_token')
  if (all.length === 0) return undefined
  if (all.length > 1) throw new InvalidRequestError('More than one access_token parameter was sent')
  const token = all[0]!
  if (token === '' || !B64TOKEN.test(token))
    throw new InvalidRequestError('The access_token parameter is malformed')
  return token
}
