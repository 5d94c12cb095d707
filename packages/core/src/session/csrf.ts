/**
 * The cross-site request check of cookie-authenticated requests. A browser attaches cookies on
 * its own, so a page on another site can make it send ours; two independent checks stop that:
 * the `Origin` must be allowed, and the request must be one a foreign page cannot send without a
 * CORS preflight (JSON content type or a custom header), which our server never approves.
 *
 * @see https://fetch.spec.whatwg.org/#cors-safelisted-request-header
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
 */
import { ConfigurationError, CrossSiteRequestError } from '../errors.js'
import type { SessionRequest } from './types.js'

/** Request headers a page may set without a preflight: none of them can be the CSRF header. */
const SAFELISTED = new Set(['accept', 'accept-language', 'content-language', 'content-type', 'range'])
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Methods that must not change state (RFC 9110 §9.2.1): cookie-authenticated without the check. */
export const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Validated allowlist: each entry must be exactly an origin, as browsers serialise it. */
export function checkAllowedOrigins(origins: unknown): Set<string> {
  if (!Array.isArray(origins) || origins.length === 0) {
    throw new ConfigurationError('allowedOrigins must list at least one origin, e.g. https://app.example')
  }
  for (const origin of origins) {
    let parsed: URL | undefined
    try {
      parsed = typeof origin === 'string' ? new URL(origin) : undefined
    } catch {}
    // `new URL('https://a.example/').origin` drops the slash: an entry that differs would never match.
    if (!parsed || parsed.origin === 'null' || parsed.origin !== origin) {
      throw new ConfigurationError(
        'allowedOrigins entries must be origins like https://app.example (no path)',
      )
    }
  }
  return new Set(origins as string[])
}

/** Validated CSRF header name, lower-cased. */
export function checkCSRFHeader(name: unknown): string {
  if (typeof name !== 'string' || !HEADER_NAME.test(name) || SAFELISTED.has(name.toLowerCase())) {
    throw new ConfigurationError('csrfHeader must be a header name a page cannot send without a preflight')
  }
  return name.toLowerCase()
}

/** The refusal of a request that may come from another site, or undefined when it may not. */
export function crossSiteRefusal(
  request: SessionRequest,
  allowed: Set<string>,
  csrfHeader: string,
): CrossSiteRequestError | undefined {
  // Browsers send `Origin` on every POST (Fetch §3.1); none, or `null` (a sandboxed or
  // privacy-redirected request), cannot be told apart from an attack.
  const origin = request.headers.get('origin')
  if (origin === null || !allowed.has(origin)) {
    return new CrossSiteRequestError('The request does not come from an allowed origin')
  }
  if (!isJSON(request.headers.get('content-type')) && request.headers.get(csrfHeader) === null) {
    return new CrossSiteRequestError(
      'A cookie-authenticated request needs Content-Type: application/json or the CSRF header',
    )
  }
  return undefined
}

function isJSON(contentType: string | null): boolean {
  if (contentType === null) return false
  const semicolon = contentType.indexOf(';')
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
  return type === 'application/json'
}
