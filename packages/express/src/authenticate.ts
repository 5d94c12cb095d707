/**
 * `authenticate(auth)` for Express 4 and 5. Builds on `auth.authenticate` (from `createAuth`)
 * and `fromNodeRequest` from `@keygate/core/http`; errors are rendered by `sendError`.
 */
import {
  type Auth,
  ConfigurationError,
  type AuthenticateOptions as CoreOptions,
  type JWTClaims,
} from '@keygate/core'
import { fromNodeRequest } from '@keygate/core/http'
import type { Request, RequestHandler } from 'express'
import { setPrincipal } from './principal.js'
import { type RenderOptions, sendError } from './send-error.js'

/** Options of `authenticate`. */
export interface AuthenticateOptions extends RenderOptions {
  /** Let requests without a token through anonymously; a bad token is still rejected. */
  optional?: boolean
  /** Finds the token yourself (a cookie, another header), as ApoJWT's `token_finder`. */
  getToken?: (req: Request) => string | undefined | null | Promise<string | undefined | null>
  /** Accept `?access_token=` (RFC 6750 §2.3). Default false: URLs end up in logs. */
  allowQuery?: boolean
}

/**
 * Express middleware that verifies the request's bearer token and puts the principal on the
 * request (`getAuth(req)`, `req.auth`), or answers 400/401/503 with a `WWW-Authenticate`
 * challenge. Errors that are bugs (bad configuration) go to `next(err)`.
 *
 * @example
 * app.get('/orders', authenticate(auth), (req, res) => res.json({ user: getAuth(req).subject }))
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function authenticate<C extends JWTClaims = JWTClaims>(
  auth: Auth<C>,
  options: AuthenticateOptions = {},
): RequestHandler {
  // Checked once here, so a wiring mistake fails at start-up rather than on every request.
  if (typeof auth?.authenticate !== 'function')
    throw new ConfigurationError('authenticate() needs createAuth()')
  const { optional = false, getToken, allowQuery = false } = options
  const render: RenderOptions = { realm: options.realm, onError: options.onError }
  const staticOptions: CoreOptions = { allowQuery, optional }

  return function authenticate(req, res, next) {
    const callOptions = getToken ? { allowQuery, optional, getToken: () => getToken(req) } : staticOptions
    // With `optional`, core answers a request without any token with `principal: null`.
    auth.authenticate(fromNodeRequest(req), callOptions).then((result) => {
      if (!result.ok) return sendError(result.error, req, res, next, render)
      setPrincipal(req, result.principal)
      return next()
    }, next)
  }
}
