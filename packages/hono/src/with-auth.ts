/**
 * `withAuth(auth, handler)` for Hono: authentication (and optionally a requirement) and the route
 * handler as one handler. Builds on `auth.cachedPrincipal` and the same steps as `authenticate`
 * and `authorize` (core's `authenticate`, `defineRequirement`, `authorize`, `httpError`).
 */
import {
  type Auth,
  type AuthenticateOptions,
  ConfigurationError,
  defineRequirement,
  type JWTClaims,
  type Requirement,
} from '@keygate/core'
import { type AdapterAuthenticateOptions, authenticateOptionsFor } from '@keygate/core/http'
import type { Context, Handler } from 'hono'
import { authenticateInto } from './authenticate.js'
import { authorizeOrRefuse } from './authorize.js'
import type { AuthEnv, OptionalAuthEnv } from './principal.js'
import type { RenderOptions } from './render-error.js'

/** Options of `withAuth`: those of `authenticate`, plus a requirement checked after it. */
export interface WithAuthOptions extends RenderOptions, AdapterAuthenticateOptions<Context> {
  /** Checked as `authorize(requirement)` would (403 `insufficient_scope`); validated once, here. */
  requirement?: Requirement
}

type RouteHandler<E extends AuthEnv | OptionalAuthEnv> = (c: Context<E>) => Response | Promise<Response>

/**
 * Protects one route: `authenticate(auth, options)` and, with `options.requirement`,
 * `authorize(requirement)` followed by `handler`, as a single Hono handler — the same answers,
 * the same `c.var.auth`. Hono runs a route's lone handler without composing a middleware chain,
 * and a request whose token is in the token cache (`createAuth({ tokenCache })`) reaches
 * `handler` in the same turn, so this is the cheapest way to protect a route on Hono.
 *
 * @example
 * app.get('/orders', withAuth(auth, (c) => c.json({ user: c.var.auth.subject })))
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function withAuth<C extends JWTClaims = JWTClaims>(
  auth: Auth<C>,
  handler: RouteHandler<AuthEnv<C>>,
  options?: WithAuthOptions & { optional?: false },
): Handler<AuthEnv<C>>
export function withAuth<C extends JWTClaims = JWTClaims>(
  auth: Auth<C>,
  handler: RouteHandler<OptionalAuthEnv<C>>,
  options: WithAuthOptions & { optional: true },
): Handler<OptionalAuthEnv<C>>
export function withAuth<C extends JWTClaims = JWTClaims>(
  auth: Auth<C>,
  handler: RouteHandler<AuthEnv<C>> | RouteHandler<OptionalAuthEnv<C>>,
  options: WithAuthOptions = {},
): Handler<AuthEnv<C>> | Handler<OptionalAuthEnv<C>> {
  if (typeof auth?.authenticate !== 'function') throw new ConfigurationError('withAuth() needs createAuth()')
  if (typeof handler !== 'function') throw new ConfigurationError('withAuth() needs a route handler')
  const run = handler as RouteHandler<OptionalAuthEnv<C>>
  const render: RenderOptions = { realm: options.realm, onError: options.onError }
  const optionsFor = authenticateOptionsFor<Context>(options)
  const required = options.requirement === undefined ? undefined : defineRequirement(options.requirement)

  async function verifyThenRun(c: Context<OptionalAuthEnv<C>>, perRequest: AuthenticateOptions) {
    const refused =
      (await authenticateInto(auth, c, perRequest, render)) ??
      (required === undefined ? undefined : await authorizeOrRefuse(c, required, render))
    return refused ?? run(c)
  }

  return function withAuth(c: Context<OptionalAuthEnv<C>>) {
    const perRequest = optionsFor(c)
    // A requirement is checked asynchronously (providers may be), so only a bare route goes on at once.
    const principal = required === undefined ? auth.cachedPrincipal(c.req.raw, perRequest) : undefined
    if (principal !== undefined) {
      c.set('auth', principal)
      return run(c)
    }
    return verifyThenRun(c, perRequest)
  }
}
