/**
 * `authenticate(auth)` for Express 4 and 5. Builds on `auth.authenticate` and
 * `auth.cachedPrincipal` (from `createAuth`) and `fromNodeRequest` from `@keygate/core/http`;
 * errors are rendered by `sendError`.
 */
import { type Auth, ConfigurationError, type JWTClaims } from '@keygate/core'
import { type AdapterAuthenticateOptions, authenticateOptionsFor, fromNodeRequest } from '@keygate/core/http'
import type { Request, RequestHandler } from 'express'
import { setPrincipal } from './principal.js'
import { type RenderOptions, sendError } from './send-error.js'

/** Options of `authenticate`. */
export interface AuthenticateOptions extends RenderOptions, AdapterAuthenticateOptions<Request> {}

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
  const render: RenderOptions = { realm: options.realm, onError: options.onError }
  const optionsFor = authenticateOptionsFor(options)

  return function authenticate(req, res, next) {
    const request = fromNodeRequest(req)
    const perRequest = optionsFor(req)
    // A token verified before goes on at once: no promise, no extra turn of the event loop.
    const principal = auth.cachedPrincipal(request, perRequest)
    if (principal !== undefined) {
      setPrincipal(req, principal)
      return next()
    }
    // With `optional`, core answers a request without any token with `principal: null`.
    auth.authenticate(request, perRequest).then((result) => {
      if (!result.ok) return sendError(result.error, req, res, next, render)
      setPrincipal(req, result.principal)
      return next()
    }, next)
  }
}
