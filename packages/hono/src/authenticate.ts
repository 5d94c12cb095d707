/**
 * `authenticate(auth)` for Hono, on any runtime Hono runs on (no Node imports). Builds on
 * `auth.cachedPrincipal` and `auth.authenticate` (from `createAuth`) with the Web `Request` as is; errors are rendered by
 * `renderError` (core's `httpError`).
 */
import {
  type Auth,
  ConfigurationError,
  type AuthenticateOptions as CoreAuthenticateOptions,
  type JWTClaims,
} from '@keygate/core'
import { type AdapterAuthenticateOptions, authenticateOptionsFor } from '@keygate/core/http'
import type { Context, MiddlewareHandler, Next } from 'hono'
import { type AuthEnv, markAnonymous, type OptionalAuthEnv } from './principal.js'
import { type RenderOptions, renderError } from './render-error.js'

/** Options of `authenticate`. */
export interface AuthenticateOptions extends RenderOptions, AdapterAuthenticateOptions<Context> {}

/**
 * Hono middleware that verifies the request's bearer token and sets `c.var.auth`, or answers
 * 400/401/503 with a `WWW-Authenticate` challenge. Typed through the env generic.
 *
 * @example
 * app.get('/orders', authenticate(auth), (c) => c.json({ user: c.var.auth.subject }))
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function authenticate<C extends JWTClaims = JWTClaims>(
  auth: Auth<C>,
  options?: AuthenticateOptions & { optional?: false },
): MiddlewareHandler<AuthEnv<C>>
export function authenticate<C extends JWTClaims = JWTClaims>(
  auth: Auth<C>,
  options: AuthenticateOptions & { optional: true },
): MiddlewareHandler<OptionalAuthEnv<C>>
export function authenticate<C extends JWTClaims = JWTClaims>(
  auth: Auth<C>,
  options: AuthenticateOptions = {},
): MiddlewareHandler<AuthEnv<C>> | MiddlewareHandler<OptionalAuthEnv<C>> {
  // Checked once here, so a wiring mistake fails at start-up rather than on every request.
  if (typeof auth?.authenticate !== 'function')
    throw new ConfigurationError('authenticate() needs createAuth()')
  const render: RenderOptions = { realm: options.realm, onError: options.onError }
  const optionsFor = authenticateOptionsFor<Context>(options)

  async function verifyThenNext(
    c: Context<OptionalAuthEnv<C>>,
    next: Next,
    perRequest: CoreAuthenticateOptions,
  ) {
    const refused = await authenticateInto(auth, c, perRequest, render)
    if (refused) return refused
    await next()
  }

  // Not `async`: a token verified before (token cache) goes on to `next` in this turn, without
  // the promise and the extra turns an async middleware costs on every request (issue 17).
  return function authenticate(c: Context<OptionalAuthEnv<C>>, next: Next) {
    const perRequest = optionsFor(c)
    const principal = auth.cachedPrincipal(c.req.raw, perRequest)
    if (principal !== undefined) {
      c.set('auth', principal)
      return next()
    }
    return verifyThenNext(c, next, perRequest)
  }
}

/**
 * Authenticates the request and records the principal on `c` (or marks it anonymous); returns
 * the error response when it is refused. Shared by `authenticate` and `withAuth` (internal).
 */
export async function authenticateInto<C extends JWTClaims>(
  auth: Auth<C>,
  c: Context,
  options: CoreAuthenticateOptions,
  render: RenderOptions,
): Promise<Response | undefined> {
  // With `optional`, core answers a request without any token with `principal: null`.
  const result = await auth.authenticate(c.req.raw, options)
  if (!result.ok) return renderError(result.error, c, render)
  if (result.principal) (c as Context<AuthEnv<C>>).set('auth', result.principal)
  else markAnonymous(c)
  return undefined
}
