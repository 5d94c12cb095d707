import { InvalidClientError } from '../errors.js'
import { httpError } from '../http/http-error.js'
import type { IssuerResponse } from './exchange.js'

/** RFC 6749 §5.1: token responses MUST carry `Cache-Control: no-store` and `Pragma: no-cache`. */
const NO_STORE: Record<string, string> = { 'cache-control': 'no-store', pragma: 'no-cache' }

/** The headers of a JSON answer without extras: frozen, so every such answer can share them. */
const JSON_NO_STORE: Record<string, string> = Object.freeze({
  'content-type': 'application/json',
  ...NO_STORE,
})

/** A JSON response that no cache may keep. */
export function jsonNoStore(status: number, body: unknown, headers?: Record<string, string>): IssuerResponse {
  return {
    status,
    headers: headers === undefined ? JSON_NO_STORE : { ...JSON_NO_STORE, ...headers },
    body: JSON.stringify(body),
  }
}

/** An empty response that no cache may keep. */
export function emptyNoStore(status: number, headers?: Record<string, string>): IssuerResponse {
  return { status, headers: { 'cache-control': 'no-store', ...headers }, body: null }
}

/** How a route wants its error rendered. */
export interface ErrorStyle {
  /** The client authenticated with Basic: `invalid_client` gets `WWW-Authenticate: Basic` (RFC 6749 §5.2). */
  basic?: boolean
  /** The route is Bearer-protected (admin): 401s get a Bearer challenge (RFC 6750 §3). */
  bearer?: boolean
}

/**
 * An OAuth error response (RFC 6749 §5.2): JSON `{ error, error_description, code }`, no-store.
 * Anything that is not a Keygate error becomes a bare 500 that reveals nothing.
 */
export function errorResponse(error: unknown, style: ErrorStyle = {}): IssuerResponse {
  const { status, headers, body } = httpError(error, { challenge: false })
  if (status === 401 && style.bearer) {
    if (error instanceof InvalidClientError) {
      // A wrong Bearer credential is `invalid_token` (RFC 6750 §3.1): the body says what the
      // challenge says, so a client reading either learns the same thing.
      headers['www-authenticate'] = 'Bearer realm="keygate", error="invalid_token"'
      body.error = 'invalid_token'
    } else {
      headers['www-authenticate'] = 'Bearer realm="keygate"'
    }
  } else if (error instanceof InvalidClientError && style.basic) {
    headers['www-authenticate'] = 'Basic realm="keygate", charset="UTF-8"'
  }
  return jsonNoStore(status, body, headers)
}
