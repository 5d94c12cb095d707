import {
  AuthError,
  ConfigurationError,
  MethodNotAllowedError,
  NotFoundError,
  TokenMissingError,
} from '../errors.js'
import { httpError } from '../http/http-error.js'
import type { TokenSet } from '../issue/types.js'
import { type CookieSpec, clearCookie, cookieName, cookieSpec, readCookie, setCookie } from './cookie.js'
import { checkAllowedOrigins, checkCSRFHeader, crossSiteRefusal, SAFE_METHODS } from './csrf.js'
import type { SessionOptions, SessionRequest, SessionResponse, Sessions, SessionTokenBody } from './types.js'
import { toWebSessionResponse } from './web-response.js'

/** Default route prefix and refresh-cookie path: the cookie reaches only the two session routes. */
export const DEFAULT_SESSION_PATH = '/auth/session'
/** `X-Requested-With` is what many front-end libraries already send for this purpose. */
export const DEFAULT_CSRF_HEADER = 'x-requested-with'
const DEFAULT_REFRESH_COOKIE = 'keygate-refresh'
const DEFAULT_ACCESS_COOKIE = 'keygate-access'

// Segments of unreserved characters only: a `;` or a space could add cookie attributes.
const PATH = /^\/$|^(\/[A-Za-z0-9._~-]+)+$/
const LOOPBACK_IPV4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/

/** RFC 6749 §5.1: responses carrying tokens must not be cached. */
const JSON_HEADERS: Record<string, string> = Object.freeze({
  'content-type': 'application/json',
  'cache-control': 'no-store',
  pragma: 'no-cache',
})

/**
 * Creates browser sessions over an issuer, the refresh-cookie flow of ApoJWT: after the
 * application's own login, `login` issues the tokens, answers the access token in the JSON
 * body and keeps the refresh token in an HttpOnly, Secure, `SameSite=Strict` cookie whose
 * `Path` is the session routes; `POST {path}/refresh` rotates it (the issuer's grace window and
 * reuse detection apply: a stolen cookie replayed after rotation revokes the family) and
 * `POST {path}/logout` revokes the family and deletes the cookie. Both routes read only the
 * cookie, require an allowed `Origin` and a non-simple request, and refuse anything else with 403.
 *
 * @example
 * const sessions = createSessions({ issuer, allowedOrigins: ['https://app.example'] })
 * // in the application's login route, once the password checked out:
 * const answer = await sessions.login(request, { subject: user.id, permissions: user.permissions })
 * return toWebSessionResponse(answer)
 * // and for the session routes:
 * if (new URL(request.url).pathname.startsWith('/auth/session/')) return sessions.handle(request)
 * @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2 (refresh-token rotation)
 * @see https://datatracker.ietf.org/doc/html/draft-ietf-httpbis-rfc6265bis (cookies)
 */
export function createSessions(options: SessionOptions): Sessions {
  const issuer = options?.issuer
  if (
    typeof issuer?.createToken !== 'function' ||
    typeof issuer.refresh !== 'function' ||
    typeof issuer.revokeRefreshToken !== 'function'
  ) {
    throw new ConfigurationError('createSessions needs an issuer (createIssuer())')
  }
  const allowed = checkAllowedOrigins(options.allowedOrigins)
  const csrfHeader = checkCSRFHeader(options.csrfHeader ?? DEFAULT_CSRF_HEADER)
  const path = options.path ?? DEFAULT_SESSION_PATH
  if (typeof path !== 'string' || !PATH.test(path)) {
    throw new ConfigurationError('path must be an absolute path like /auth/session, without a trailing slash')
  }
  const prefix = path === '/' ? '' : path
  const routes = Object.freeze({ refresh: `${prefix}/refresh`, logout: `${prefix}/logout` })
  const refreshSpec = cookieSpec(options.refreshCookie, DEFAULT_REFRESH_COOKIE, path, 'refreshCookie')
  // The access token is needed by every page, so its cookie has `Path=/`.
  const accessSpec: CookieSpec | undefined = options.accessCookie
    ? cookieSpec(
        options.accessCookie === true ? undefined : options.accessCookie,
        DEFAULT_ACCESS_COOKIE,
        '/',
        'accessCookie',
      )
    : undefined
  if (accessSpec && accessSpec.name === refreshSpec.name) {
    throw new ConfigurationError('accessCookie and refreshCookie need different names')
  }
  const development = options.development === true

  /** False only in development, for plain HTTP to a loopback host. */
  function isSecure(request: SessionRequest): boolean {
    if (!development) return true
    let host: string | null | undefined
    try {
      const url = request.url
      if (url !== undefined && SCHEME.test(url)) {
        const parsed = new URL(url)
        if (parsed.protocol !== 'http:') return true
        host = parsed.hostname
      } else {
        const header = request.headers.get('host')
        host = header === null ? undefined : new URL(`http://${header}`).hostname
      }
    } catch {
      return true
    }
    if (host === undefined) return true
    const loopback =
      host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || LOOPBACK_IPV4.test(host)
    return !loopback
  }

  function clearAll(secure: boolean): string[] {
    const cookies = [clearCookie(refreshSpec, secure)]
    if (accessSpec) cookies.push(clearCookie(accessSpec, secure))
    return cookies
  }

  function tokenResponse(tokens: TokenSet, secure: boolean): SessionResponse {
    const cookies: string[] = []
    // No refresh token when the issuer's rotation is off: the cookie already there stays valid.
    if (tokens.refreshToken !== undefined) {
      cookies.push(setCookie(refreshSpec, secure, tokens.refreshToken, tokens.refreshExpiresIn))
    }
    if (accessSpec) cookies.push(setCookie(accessSpec, secure, tokens.accessToken, tokens.expiresIn))
    const body: SessionTokenBody = {
      access_token: tokens.accessToken,
      token_type: 'Bearer',
      expires_in: tokens.expiresIn,
      scope: tokens.scope,
    }
    return { status: 200, headers: JSON_HEADERS, cookies, body: JSON.stringify(body) }
  }

  function failure(error: unknown, cookies: string[] = []): SessionResponse {
    // Anything that is not a Keygate error becomes a bare 500 that reveals nothing.
    const { status, headers, body } = httpError(error, { challenge: false })
    return { status, headers: { ...JSON_HEADERS, ...headers }, cookies, body: JSON.stringify(body) }
  }

  async function refresh(request: SessionRequest): Promise<SessionResponse> {
    const secure = isSecure(request)
    // Only the cookie: a refresh token in the body or a header (an access token, say) is ignored.
    const token = readCookie(request.headers.get('cookie'), cookieName(refreshSpec, secure))
    if (token === undefined) throw new TokenMissingError('No session cookie was sent')
    let tokens: TokenSet
    try {
      tokens = await issuer.refresh(token)
    } catch (error) {
      // A dead session's cookie is deleted, so the browser stops sending it; after an outage
      // (503) or a rate limit (429) it is kept for the retry.
      if (
        AuthError.is(error) &&
        (error.code === 'ERR_INVALID_GRANT' || error.code === 'ERR_INVALID_CLIENT')
      ) {
        return failure(error, clearAll(secure))
      }
      throw error
    }
    return tokenResponse(tokens, secure)
  }

  async function logout(request: SessionRequest): Promise<SessionResponse> {
    const secure = isSecure(request)
    const token = readCookie(request.headers.get('cookie'), cookieName(refreshSpec, secure))
    // Unknown or already revoked tokens are ignored (RFC 7009 §2.2): logging out twice is fine.
    // A store outage rejects, and the cookie stays so that the logout can be retried.
    if (token !== undefined) await issuer.revokeRefreshToken(token)
    return { status: 204, headers: { 'cache-control': 'no-store' }, cookies: clearAll(secure), body: null }
  }

  async function respond(request: SessionRequest): Promise<SessionResponse> {
    try {
      const pathname = pathOf(request.url ?? '/')
      const route = pathname === routes.refresh ? refresh : pathname === routes.logout ? logout : undefined
      if (route === undefined) throw new NotFoundError('No such route')
      if (request.method?.toUpperCase() !== 'POST') {
        throw new MethodNotAllowedError('The session routes take POST', ['POST'])
      }
      const refused = crossSiteRefusal(request, allowed, csrfHeader)
      if (refused) throw refused
      return await route(request)
    } catch (error) {
      return failure(error)
    }
  }

  return {
    routes,
    async login(request, input) {
      if (typeof input !== 'object' || input === null) {
        throw new ConfigurationError('sessions.login needs { subject, … }')
      }
      const { data, ...tokenInput } = input
      const tokens = await issuer.createToken({
        ...tokenInput,
        refresh: data === undefined ? true : { data },
      })
      return tokenResponse(tokens, isSecure(request))
    },
    respond,
    async handle(request) {
      return toWebSessionResponse(await respond(request))
    },
    accessToken(request) {
      if (!accessSpec) {
        throw new ConfigurationError('sessions.accessToken needs createSessions({ accessCookie: true })')
      }
      const token = readCookie(request.headers.get('cookie'), cookieName(accessSpec, isSecure(request)))
      if (token === undefined) return undefined
      // A cookie rides along on any request the browser makes: an unsafe method must prove it
      // comes from one of our pages, as the session routes do.
      const method = request.method?.toUpperCase()
      if (method === undefined || !SAFE_METHODS.has(method)) {
        const refused = crossSiteRefusal(request, allowed, csrfHeader)
        if (refused) throw refused
      }
      return token
    },
  }
}

/** The path of an absolute URL or of a path with a query. */
function pathOf(url: string): string {
  try {
    return new URL(url, 'http://localhost').pathname
  } catch {
    return ''
  }
}
