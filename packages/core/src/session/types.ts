import type { CreateTokenInput, TokenSet } from '../issue/types.js'

/**
 * What sessions need of an issuer: `createIssuer()`'s result qualifies. Sessions only ever
 * refresh chains they started with `createToken`, by the refresh token alone.
 */
export interface SessionIssuer {
  createToken(input: CreateTokenInput): Promise<TokenSet>
  refresh(refreshToken: string): Promise<TokenSet>
  revokeRefreshToken(refreshToken: string): Promise<void>
}

/** The `SameSite` attribute (RFC 6265bis §5.4.7). */
export type SameSite = 'Strict' | 'Lax' | 'None'

/** Options of a cookie Keygate sets. */
export interface SessionCookieOptions {
  /**
   * The name without its prefix: `__Host-` or `__Secure-` is added (see the README). Default
   * `'keygate-refresh'` for the refresh cookie, `'keygate-access'` for the access cookie.
   */
  name?: string
  /** Default `'Strict'`: the browser sends the cookie only on requests from the same site. */
  sameSite?: SameSite
  /**
   * `Domain` attribute, to share the cookie with subdomains. Default none (host-only), which is
   * safer: a sibling subdomain cannot see or overwrite it. With a domain, `__Host-` is impossible.
   */
  domain?: string
}

/** Options of `createSessions`. */
export interface SessionOptions {
  issuer: SessionIssuer
  /**
   * Origins (`scheme://host[:port]`, exactly as browsers send `Origin`) whose pages may call the
   * refresh and logout routes (and unsafe methods with the access cookie). Required: a session
   * cookie is a credential the browser attaches on its own, so the origin is checked.
   */
  allowedOrigins: readonly string[]
  /**
   * Path of the session routes, `POST {path}/refresh` and `POST {path}/logout`, and the refresh
   * cookie's `Path`, so the cookie goes to those two routes only. Default `'/auth/session'`.
   */
  path?: string
  /** The refresh-token cookie. */
  refreshCookie?: SessionCookieOptions
  /**
   * Also put the access token in an HttpOnly cookie (`Path=/`), for server-rendered apps that
   * authenticate with `getToken: sessions.accessToken`. Default false: the access token goes in
   * the JSON body only, and the page keeps it in memory.
   */
  accessCookie?: boolean | SessionCookieOptions
  /**
   * A header whose presence makes a request non-simple (RFC 9110 custom header, so a foreign
   * page needs a CORS preflight to send it). Default `'x-requested-with'`; a request with
   * `Content-Type: application/json` passes without it.
   */
  csrfHeader?: string
  /**
   * Development mode: a request to an `http://` loopback host (`localhost`, `*.localhost`,
   * `127.0.0.1`, `[::1]`) gets cookies without `Secure` and without a name prefix, which some
   * browsers refuse over plain HTTP. Default false. Typical: `process.env.NODE_ENV === 'development'`.
   */
  development?: boolean
}

/** What the application passes to `sessions.login`: `createToken`'s input, plus refresh data. */
export interface SessionLoginInput extends Omit<CreateTokenInput, 'refresh'> {
  /** Application data kept with the refresh token, handed to the issuer's `onRefresh`. */
  data?: Record<string, unknown>
}

/** The JSON body of a successful login or refresh (RFC 6749 §5.1 names, no refresh token). */
export interface SessionTokenBody {
  access_token: string
  token_type: 'Bearer'
  /** Seconds until the access token expires. */
  expires_in: number
  /** Granted permissions, space-delimited. */
  scope: string
}

/**
 * An answer of the session routes and of `login`, as plain data. `Set-Cookie` values are kept
 * apart in `cookies` because they cannot be joined into one header line (RFC 6265bis §3).
 */
export interface SessionResponse {
  status: number
  /** Lower-case header names, without `set-cookie`. */
  headers: Record<string, string>
  /** One `Set-Cookie` value per cookie. */
  cookies: string[]
  /** JSON text, or null (204). */
  body: string | null
}

/** The parts of a request sessions read: never the body. */
export interface SessionRequest {
  /** Upper-case HTTP method; missing counts as unsafe. */
  readonly method?: string
  /** Absolute URL or path and query; needed by the routes, and to detect `http://` in development. */
  readonly url?: string
  readonly headers: { get(name: string): string | null }
}

/** The object `createSessions` returns. */
export interface Sessions {
  /** The route paths: `{path}/refresh` and `{path}/logout`. */
  readonly routes: { readonly refresh: string; readonly logout: string }
  /**
   * Starts a session for a subject the application has authenticated (its own password check, an
   * OIDC login…): issues the token set, answers 200 with the access token in the JSON body and
   * the refresh token in an HttpOnly cookie. `request` is the login request (for development mode).
   */
  login(request: SessionRequest, input: SessionLoginInput): Promise<SessionResponse>
  /**
   * Serves `POST {path}/refresh` and `POST {path}/logout` as plain data; any other path answers
   * 404 `ERR_NOT_FOUND` (an adapter passes it on). Never throws.
   */
  respond(request: SessionRequest): Promise<SessionResponse>
  /** `respond` for fetch-style runtimes. */
  handle(request: Request): Promise<Response>
  /**
   * The access token from the access cookie, for `authenticate(auth, { getToken })`; `undefined`
   * without one. Throws `CrossSiteRequestError` (403) for an unsafe method that fails the origin
   * check, so the cookie cannot be ridden by another site. Needs `accessCookie`.
   */
  accessToken(request: SessionRequest): string | undefined
}
