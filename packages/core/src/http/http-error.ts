import {
  AuthError,
  InsufficientScopeError,
  MethodNotAllowedError,
  RateLimitedError,
  UnavailableError,
} from '../errors.js'
import { bearerChallenge, type ChallengeOptions } from './challenge.js'

/** The JSON body Keygate answers errors with: OAuth's fields plus the stable `code`. */
export interface ErrorBody {
  error: string
  error_description?: string
  code: string
  /** For 403: what the principal lacked (scopes, permissions, groups, roles). */
  required?: InsufficientScopeError['missing']
}

/** A framework-neutral error response. */
export interface HTTPErrorResponse {
  status: number
  headers: Record<string, string>
  body: ErrorBody
}

/** Options of `httpError` and `toResponse`. */
export interface HTTPErrorOptions extends ChallengeOptions {
  /**
   * Add a `WWW-Authenticate` challenge. Default true for resource servers; the issuer's
   * token endpoint sets it only for `invalid_client` over Basic (RFC 6749 §5.2).
   */
  challenge?: boolean
}

/**
 * Maps any error to status, headers and a JSON body. Keygate errors get their status, a
 * `WWW-Authenticate` challenge for 400/401/403 and `Retry-After` for 429/503; anything else is
 * a bug and becomes a bare 500 that reveals nothing.
 *
 * @example
 * const { status, headers, body } = httpError(result.error, { realm: 'api' })
 */
export function httpError(error: unknown, options: HTTPErrorOptions = {}): HTTPErrorResponse {
  const headers: Record<string, string> = { 'cache-control': 'no-store' }
  if (!AuthError.is(error)) {
    return { status: 500, headers, body: { error: 'server_error', code: 'ERR_INTERNAL' } }
  }
  const body: ErrorBody = { error: error.oauthError ?? 'unauthorized', code: error.code }
  if (error.status < 500 && options.describe !== false) body.error_description = error.message
  if (error instanceof InsufficientScopeError) body.required = error.missing
  const wantsChallenge = options.challenge !== false && [400, 401, 403].includes(error.status)
  if (wantsChallenge) headers['www-authenticate'] = bearerChallenge(error, options)
  if (error instanceof UnavailableError || error instanceof RateLimitedError) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfter)))
  }
  if (error instanceof MethodNotAllowedError) headers.allow = error.allow.join(', ')
  return { status: error.status, headers, body }
}

/**
 * `httpError` as a Web `Response`, for fetch-style frameworks (Hono, Next.js, Workers).
 *
 * @example return toResponse(result.error, { realm: 'api' })
 */
export function toResponse(error: unknown, options: HTTPErrorOptions = {}): Response {
  const { status, headers, body } = httpError(error, options)
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...headers, 'content-type': 'application/json' },
  })
}
